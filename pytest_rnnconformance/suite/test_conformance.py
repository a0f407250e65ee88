"""The conformance suite's anchor: pytest collects the rows of ``--rnn-impl`` from here.

It holds no tests of its own. When pytest runs with ``--rnn-impl`` and no test paths, the plugin
collects this file as the suite (``pytest_rnnconformance.suite.ConformanceFile``): one test per row
of the capability matrix and column (mode, device, dtype), made from the registry of rows in
``pytest_rnnconformance.features``.
"""
