"""One module per intent family, each exporting `RULES`: a table of (name, pattern, slots, build).
The order of `FAMILIES` is the order rules are tried: the more specific family first."""
