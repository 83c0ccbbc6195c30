"""Reports across the knowledge base: comparisons, timelines, and their tables and charts.

Each report is a pure function from stored fact records to plain dataclasses
(``compare.compare_figures``, ``timeline.build_timeline``); ``tables`` turns those
into rows for a terminal, CSV or XLSX, and ``charts`` draws them. Reading the
store is left to ``policylens.api``.
"""
