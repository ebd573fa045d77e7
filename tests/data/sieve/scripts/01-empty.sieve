# No rules: the implicit keep.
