"""Judging: the oracles, the tolerance, one `judge` returning one `Failure`, and the catalogue of
known mistakes (transformations of the reference) that names a failure, or localises it."""
