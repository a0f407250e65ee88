"""Grading a class: ``rnnconformance grade`` and ``rnnconformance merge``.

A teacher points the grader at many submissions; each one is run through the conformance suite
in its own pytest subprocess (so a submission that hangs, crashes or misbehaves only ever costs
its own time slot), its JSON report is scored against a rubric, and once every run has ended the
results are written to an output folder: a gradebook (``grades.csv``, ``grades.json``), Gradescope results, a
feedback page per learner and a class summary. Every student is graded out of the same maximum.

One idea per module:

* `rubric`      -- what the teacher configures (TOML), with the defaults used without a file
* `assignment`  -- the graded rows, decided once for the class: the rubric's, the rows the teacher's
                   solution passes, or a standard learner solution's (one maximum for everyone)
* `submissions` -- a class folder, a list or a glob; the entry inside a folder; names; fingerprints
* `runner`      -- running one submission in a subprocess (its worker in the sandbox) with a timeout and limits
* `integrity`   -- the class's files, the rubric and the solution hashed while grading
* `sentinel`    -- a tiny pytest plugin loaded into that subprocess: "pytest finished normally"
* `scoring`     -- from a run (report or failure) and a rubric to points per feature
* `feedback`    -- the words a learner reads: per feature, the likely cause and the counterexample
* `outputs`     -- grades.csv, grades.json, results/<name>.json, feedback/<name>.md, written atomically at the end
* `progress`    -- the progress line and one line per finished submission, on stderr
* `summary`     -- the class summary (terminal, summary.md, summary.png)
* `batch`       -- the orchestration: discover, resume, shard, run N at once, write once all have ended
* `merge`       -- combining output folders of shards into one
"""
