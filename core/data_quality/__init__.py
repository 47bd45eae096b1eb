"""The data-quality report of a trained run: likely wrong labels, duplicates, leaks.

Headless; the command line (``python -m core data-quality``) and the GUI use
the same calls:

- ``build.build_report(run_dir, quick=False, listener=None, cancel=None)``
  computes and saves the report (the heavy job: progress through a
  ``progress.ReportListener``, cooperative cancel through a
  ``threading.Event``, ``progress.ReportCancelled`` when stopped);
- ``report.load_report(run_dir, mode)`` reopens a saved one without
  recomputing; ``report.DataQualityReport`` is the plain data both return;
- ``labels.cleanlab_missing()`` says why the report cannot run (the optional
  ``quality`` extra), without importing anything heavy.

What each part computes, its thresholds and why: docs/data-quality.md.
Nothing here imports TensorFlow at package import.
"""
