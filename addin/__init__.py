"""baoxue.addin — the Excel add-in: thin shells over the core, written only against the xlwings Book API.

- ``bridge``: live ``xlwings.Book`` → ``Grid`` (read exactly like a file) and ``apply_xlwings(book, edits)``;
- ``actions``: what the four buttons do (validate, update, submit, next month), as plain functions;
- ``scripts``: the buttons as xlwings scripts (xlwings Lite / Server); ``desktop``: RunPython entry points (classic add-in);
- ``functions``: the worksheet functions BX_ID_CHECK, BX_ID_BIRTHDATE, BX_ID_SEX, BX_AGE, BX_NEXT_STEP, BX_VALIDATE;
- ``routes``: the files of each delivery route (``baoxue addin lite`` / ``baoxue addin desktop``), ``lite/`` and
  ``desktop/`` their templates; ``simulate``: a simulated Excel client for tests and benchmarks;
- ``runtime``: the xlwings decorators of the running runtime; xlwings is pinned to 0.37.8 everywhere.

See docs/addin-guide.md (Chinese) for the routes and their licences.
"""
