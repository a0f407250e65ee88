"""The sandbox untrusted code runs in: one tool-built confinement, one supervisor, the answer key hidden.

* `tools`      -- which tool confines a process here (bubblewrap, else unshare + setpriv), its command line
* `processes`  -- limits, how a process ended, killing a tree: written once for the grader and the worker
* `answer_key` -- the worker started from a bundle, the plugin's modules out of the submission's reach
"""
