"""The import graph points down (issue 9): every import statement of the package — function-level ones included — is
read with ``ast`` and checked against ``LAYERS``; first-party imports sit at module top; ``docs/architecture.md``
carries the picture rendered from this same table (``python tests/test_architecture.py`` rewrites it).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Source folders of the one import root ``baoxue`` (pyproject.toml ``package-dir``).
PACKAGE_DIRS = {"baoxue": ROOT / "baoxue", "baoxue.validators": ROOT / "validators", "baoxue.addin": ROOT / "addin"}

# Bottom to top. A module may import from its own layer and the layers below it, never from a layer above.
# An entry names a module or a package (a package entry covers every module under it; the root ``baoxue`` is only
# its ``__init__``, so a new module must be given a layer here).
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("model", "what the workbook is: sheets, columns, code lists, the monthly figures' keys, findings, a grid of cells",
     ("baoxue", "baoxue.model", "baoxue.indicator_definitions", "baoxue.grid", "baoxue.findings")),
    ("facts", "domain facts with no workbook behind them: IDs, normalisation, policy, months; files and paths (atomic "
     "writes, path guards, zip budgets), the one text-cell writer; process helpers (GC pause, work on another core)",
     ("baoxue.idcard", "baoxue.normalize", "baoxue.policy", "baoxue.months", "baoxue.atomic", "baoxue.paths",
      "baoxue.zipcheck", "baoxue.beijing", "baoxue.cells", "baoxue.gcpause", "baoxue.background")),
    ("reader", "a file or a live book → a typed SchoolBook; where the template puts things",
     ("baoxue.reader", "baoxue.book", "baoxue.layout", "baoxue.xlsx_scan", "baoxue.xlsx_load")),
    ("batch", "many SchoolBooks' frames concatenated, typed columns computed once",
     ("baoxue.batch",)),
    ("cases", "case logic and the SPEC §5 indicators over a batch",
     ("baoxue.cases", "baoxue.indicators")),
    ("validators", "the rule catalogue and the rules (S, F, A, D, C, T, P, X)",
     ("baoxue.validators",)),
    ("writers", "workbook writers: stamp, edits, carry-forward, template, fill, update, submit; long tables streamed "
     "as sheet XML (the 月报表's and the 台账's)",
     ("baoxue.stamp", "baoxue.edits", "baoxue.carry", "baoxue.template", "baoxue.list_template", "baoxue.fill",
      "baoxue.update", "baoxue.submit", "baoxue.xlsx_rows")),
    ("rollup", "roll-up engine, R rules, history store, 月报表",
     ("baoxue.rollup",)),
    ("household", "the household line (SPEC §8): lists, matching against the school line, H rules",
     ("baoxue.household",)),
    ("shells", "thin shells over the core: command line, Excel add-in, notebooks, demos",
     ("baoxue.commands", "baoxue.cli", "baoxue.__main__", "baoxue.addin", "baoxue.notebook",
      "baoxue.household.notebook", "baoxue.demo", "baoxue.demo_household")),
)


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name → file."""
    out = {}
    for root, folder in PACKAGE_DIRS.items():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            name = ".".join((root, *rel))
            out.setdefault(name, path)
    return out


MODULES = modules()


def layer_of(module: str) -> int:
    best, where = -1, None
    for i, (_, _, members) in enumerate(LAYERS):
        for m in members:
            if (module == m or (m != "baoxue" and module.startswith(m + "."))) and len(m) > best:
                best, where = len(m), i
    if where is None:
        raise AssertionError(f"{module} is in no layer of LAYERS: add it")
    return where


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports(module: str) -> list[tuple[int, str, bool]]:
    """(line, imported first-party module, at module top) for every import statement of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = set()
    for node in tree.body:
        top.add(id(node))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            top.update(id(n) for n in node.body)
    package = module if _is_package(module) else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            # ``from baoxue import model`` imports the module baoxue.model; ``from .x import name`` imports .x
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        else:
            continue
        for t in targets:
            if t == "baoxue" or t.startswith("baoxue."):
                while t not in MODULES:
                    t = t.rpartition(".")[0]
                out.append((node.lineno, t, id(node) in top))
    return out


def test_every_module_is_in_a_layer():
    for m in MODULES:
        layer_of(m)


def test_no_module_imports_from_a_layer_above_it():
    upward = []
    for m in MODULES:
        mine = layer_of(m)
        for line, target, _ in imports(m):
            if layer_of(target) > mine:
                upward.append(f"{MODULES[m].relative_to(ROOT)}:{line} ({LAYERS[mine][0]}) imports {target} "
                              f"({LAYERS[layer_of(target)][0]})")
    assert not upward, "imports pointing up:\n" + "\n".join(upward)


# The deferred imports there are, each with its reason (the imported module's own imports sit at its top).
DEFERRED = {
    ("baoxue.commands.rollup", "baoxue.commands.rollup_full"):
        "a re-run that changed nothing is answered from the store's record before pandas & co. are imported",
}


def test_first_party_imports_sit_at_module_top():
    deferred = [f"{MODULES[m].relative_to(ROOT)}:{line} imports {target} inside a function or block"
                for m in MODULES for line, target, at_top in imports(m) if not at_top and (m, target) not in DEFERRED]
    assert not deferred, "\n".join(deferred)


def test_each_allowed_deferred_import_is_there():
    """An entry of DEFERRED names an import that exists (and is deferred): none is kept after its reason is gone."""
    found = {(m, target) for m in MODULES for _line, target, at_top in imports(m) if not at_top}
    assert set(DEFERRED) <= found


def test_the_checker_sees_upward_and_deferred_imports(tmp_path):
    """The checks above can fail: a function-level import of a higher layer is found and named."""
    probe = "baoxue.model"
    source = MODULES[probe]
    MODULES[probe] = tmp_path / "model.py"
    try:
        MODULES[probe].write_text("def f():\n    from baoxue.rollup import engine\n", encoding="utf-8")
        assert imports(probe) == [(2, "baoxue.rollup.engine", False)]
        assert layer_of("baoxue.rollup.engine") > layer_of(probe)
    finally:
        MODULES[probe] = source


# ---------------------------------------------------------------------------------------------- docs/architecture.md
BEGIN, END = "<!-- layers: generated by tests/test_architecture.py -->", "<!-- /layers -->"


def layer_picture() -> str:
    """The layers top to bottom, each with its modules (as paths a newcomer can open) and what it holds."""
    def path(m: str) -> str:
        p = MODULES[m].relative_to(ROOT).as_posix()
        return p.removesuffix("__init__.py") if _is_package(m) and m != "baoxue" else p

    lines = [BEGIN, "", "| layer | modules | what |", "|---|---|---|"]
    for i in reversed(range(len(LAYERS))):
        name, what, members = LAYERS[i]
        lines.append(f"| {i}. **{name}** | {', '.join(f'`{path(m)}`' for m in members)} | {what} |")
    lines += ["", "An arrow points from a layer to the layers it may import (its own and every one below):", "",
              "```", "  →  ".join(name for name, _, _ in reversed(LAYERS)), "```", "", END]
    return "\n".join(lines)


def test_architecture_doc_shows_these_layers():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert layer_picture() in text, "docs/architecture.md is stale: run  python tests/test_architecture.py"


if __name__ == "__main__":
    text = ARCHITECTURE.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    ARCHITECTURE.write_text(head + layer_picture() + tail, encoding="utf-8")
    print(f"wrote {ARCHITECTURE}", file=sys.stderr)
