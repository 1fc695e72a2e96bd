"""The package's shape (issue 18, DESIGN.md): no import cycles, no private name imported
from another module, no validation or test code in the installed package, and one
registry of stride metrics that every consumer reads."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import gaitlens

PKG = Path(gaitlens.__file__).resolve().parent
REPO = PKG.parent


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict:
    return {_module_name(p): p for p in PKG.rglob("*.py")}


def _resolve(mod: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if is_pkg else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_edges() -> dict:
    """module -> {(imported gaitlens module, names imported from it)}, every import in
    the file (module level and inside functions)."""
    mods = _modules()
    edges = {}
    for mod, path in mods.items():
        is_pkg = path.name == "__init__.py"
        out = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("gaitlens"):
                        out.append((a.name, ()))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, is_pkg, node)
                if not target.startswith("gaitlens"):
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    if sub in mods:  # ``from . import module``
                        out.append((sub, ()))
                    else:
                        out.append((target, (a.name,)))
        edges[mod] = out
    return edges


def test_every_package_import_resolves():
    """Every gaitlens import, also inside a function (run only on some paths, e.g. the
    batch command), names a module that exists and a name it defines."""
    import importlib

    mods = _modules()
    missing = []
    for mod, edges in import_edges().items():
        for target, names in edges:
            if target not in mods:
                missing.append(f"{mod}: {target}")
                continue
            module = importlib.import_module(target)
            missing += [f"{mod}: {target}.{n}" for n in names if not hasattr(module, n)]
    assert not missing, missing


def _cycles(graph: dict) -> list:
    """Strongly connected components with more than one module (Tarjan 1972)."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for v in graph:
        if v not in index:
            visit(v)
    return comps


def test_no_import_cycles():
    """Including imports inside functions: a cycle hidden in a function is still one."""
    graph = {m: {t for t, _ in e if t != m} for m, e in import_edges().items()}
    assert _cycles(graph) == []


def test_no_private_name_imported_from_another_module():
    bad = [
        f"{mod} imports {name} from {target}"
        for mod, edges in import_edges().items()
        for target, names in edges
        for name in names
        if name.startswith("_") and not name.startswith("__") and target != mod
    ]
    assert bad == []


def test_package_holds_no_validation_benchmark_or_test_code():
    names = set(_modules())
    for banned in ("validation", "mocap", "bench", "demo", "fixture", "evaluate", "mocap_driven"):
        assert not [n for n in names if banned in n.split(".")], banned
    text = "\n".join(p.read_text(encoding="utf-8") for p in PKG.rglob("*.py"))
    assert "gaitlens_validation" not in text and "import pytest" not in text


def test_wheel_packages_only_gaitlens():
    """pyproject's package discovery includes ``gaitlens`` and its sub-packages only
    (``gaitlens_validation`` at the repository root stays out of the wheel)."""
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    find_packages = pytest.importorskip("setuptools").find_packages

    conf = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = conf["tool"]["setuptools"]["packages"]["find"]["include"]
    found = find_packages(where=str(REPO), include=include)
    assert "gaitlens" in found and "gaitlens.strides" in found
    assert all(p == "gaitlens" or p.startswith("gaitlens.") for p in found), found
    assert (REPO / "gaitlens_validation").is_dir()


def test_every_stride_column_comes_from_the_registry():
    """The schema's timing columns, the measured table's columns and the report's key
    numbers, stride-table columns and left/right chart all come from METRICS."""
    from gaitlens import schema, strides
    from gaitlens.report import html, labels, plots

    assert tuple(n for n, m in strides.METRICS.items() if m.kind == "timing") == (
        schema.TIMING_METRIC_COLUMNS
    )
    assert set(html.key_metrics()) <= set(strides.METRICS)
    assert set(plots.left_right_metrics()) <= set(strides.METRICS)
    assert set(html.table_columns()) - {"ic_s"} <= set(strides.METRICS)
    for name, m in strides.METRICS.items():
        assert labels.label(name) is m.label
        assert (m.compute is None) == (m.kind == "timing"), name


@pytest.fixture
def knee_at_toe_off():
    """A metric registered the way docs/architecture.md shows (removed afterwards)."""
    from gaitlens import strides

    @strides.metric("knee_flexion_to_deg", "knee bend at toe-off", "deg", 1, 1,
                    key_number=True, table=("knee toe-off", "°"))  # fmt: skip
    def knee_flexion_to(s):
        return s.at("{side}_knee_flexion_deg", s.to_s)

    yield
    del strides.METRICS["knee_flexion_to_deg"]


def test_adding_a_metric_is_one_registry_entry(knee_at_toe_off):
    """A new ``@metric`` function is measured, summarised, labelled and shown in the
    report's key numbers and stride table without touching any other file."""
    from gaitlens import strides
    from gaitlens.report import html, labels
    from tests.report_fixture import demo_analysis

    a = demo_analysis(n_strides=3)
    table = strides.measure(a.strides[list(strides.TIMING_COLUMNS)], a.frames, a.events)
    assert table["knee_flexion_to_deg"].notna().all()
    assert "knee_flexion_to_deg" in strides.summarize_metrics(table)["metrics"]
    assert labels.label("knee_flexion_to_deg").full == "knee bend at toe-off [deg]"
    a.strides = table
    rows, _ = html.key_numbers(a)
    assert "knee bend at toe-off" in [r["label"] for r in rows]
    headers = [h["name"] for h in html.stride_table(a)["headers"]]
    assert "knee toe-off" in headers
