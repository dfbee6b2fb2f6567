"""What both sides share: the draft model, chat events, error codes and the API's paths."""
