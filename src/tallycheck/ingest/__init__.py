"""Reading commission files: one module per input format, and the election package that ties them together."""
