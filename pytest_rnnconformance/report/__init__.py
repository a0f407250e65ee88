"""Reporting: a `Failure` rendered once, verdicts as user properties, the result log (terminal
matrix, JSON report), the end of the run, known gaps (--rnn-expect) and the speed benchmark."""
