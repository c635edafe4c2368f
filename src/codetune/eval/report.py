"""The evaluation report: ``report.json`` (everything, for tools) and ``report.html`` (for people).

The HTML file is self-contained: inline CSS and a few lines of inline script, the job's loss curve
embedded as a base64 PNG, no network. It shows the warnings (small strategies, samples javac could not
check), the metric table (tuned, base, the difference with its 95% paired bootstrap interval and the
verdict, coloured, and n), findings by kind, the judge's win/tie/loss, the loss curve and every sample
side by side.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from codetune.io import write_json, write_text

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;max-width:1200px;padding:1.5em;color:#1f2328}
h1{font-size:1.6em;margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.meta{color:#57606a}.meta code{background:#f6f8fa;padding:0 .3em;border-radius:4px}
table.metrics{border-collapse:collapse;margin:.8em 0}
table.metrics th,table.metrics td{border:1px solid #d0d7de;padding:.3em .7em;text-align:right}
table.metrics th:nth-child(-n+2),table.metrics td:nth-child(-n+2){text-align:left}
table.metrics thead th{background:#f6f8fa}
.better{color:#1a7f37;font-weight:600}.worse{color:#cf222e;font-weight:600}.same{color:#57606a}
.judge span{display:inline-block;margin-right:1.2em;font-size:1.1em}
img.loss{max-width:100%;border:1px solid #d0d7de}
.headline{font-size:1.1em;margin:.6em 0}
.warning{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.4em .8em;margin:.4em 0}
.filters{margin:.6em 0}.filters button{margin-right:.4em;padding:.2em .7em;border:1px solid #d0d7de;background:#fff;border-radius:12px;cursor:pointer}
.filters button.on{background:#0969da;color:#fff;border-color:#0969da}
details.sample{border:1px solid #d0d7de;border-radius:6px;margin:.5em 0;padding:.3em .8em}
details.sample summary{cursor:pointer;font-weight:600}
details.sample summary .tag{font-weight:400;color:#57606a;margin-left:.6em}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:.8em}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:.6em;border-radius:6px;margin:.3em 0;font-size:12.5px}
.scores{color:#57606a;font-size:12.5px}.label{font-weight:600;margin-top:.6em}
.outcome-win{color:#1a7f37}.outcome-loss{color:#cf222e}.outcome-tie{color:#57606a}
"""

_SCRIPT = """
document.querySelectorAll('.filters button').forEach(function(b){b.addEventListener('click',function(){
 document.querySelectorAll('.filters button').forEach(function(x){x.classList.toggle('on',x===b)});
 var s=b.dataset.strategy;document.querySelectorAll('details.sample').forEach(function(d){
  d.style.display=(s==='all'||d.dataset.strategy===s)?'':'none'})})});
document.body.dataset.ready='1';
"""


def fmt_value(value: float | None, unit: str, digits: int = 1) -> str:
    """
    >>> fmt_value(41.25, "%"), fmt_value(None, "s"), fmt_value(1.5, "s"), fmt_value(2.3456, "", 3)
    ('41.2%', '-', '1.50s', '2.346')
    """
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f}s"
    return f"{value:.{digits}f}{unit}"


def digits_of(row: dict[str, Any]) -> int:
    """Decimals worth showing: losses differ in the second or third decimal, the rest in the first."""
    return 3 if row.get("metric") == "heldout_loss" else 2 if row.get("unit") == "s" else 1


def row_label(row: dict[str, Any]) -> str:
    """The metric's label with what the row needs to be read: the reference's length, the samples
    left out of the compile rate.

    >>> row_label({"label": "answer length (words)", "reference": 23.4})
    'answer length (words; reference 23.4)'
    >>> row_label({"label": "compiles in place (javac)", "not_checkable": 2})
    'compiles in place (javac; 2 not checkable)'
    """
    label = row["label"]
    extra = []
    if row.get("reference") is not None:
        extra.append(f"reference {row['reference']:.1f}")
    if row.get("not_checkable"):
        extra.append(f"{row['not_checkable']} not checkable")
    if not extra:
        return label
    if label.endswith(")"):
        return f"{label[:-1]}; {'; '.join(extra)})"
    return f"{label} ({'; '.join(extra)})"


def fmt_diff(row: dict[str, Any]) -> tuple[str, str]:
    """The difference with its 95% interval, and its CSS class (the verdict: better/worse/same).

    >>> fmt_diff({"diff": 3.0, "ci95": [0.5, 6.0], "verdict": "better", "unit": "%"})
    ('+3.0 [+0.5, +6.0]', 'better')
    >>> fmt_diff({"diff": 0.4, "ci95": [-0.2, 1.0], "verdict": None, "unit": "s"})
    ('+0.40 [-0.20, +1.00]', 'same')
    """
    diff = row.get("diff")
    if diff is None:
        return "-", "same"
    digits = digits_of(row)
    text = f"{diff:+.{digits}f}"
    if row.get("ci95"):
        low, high = row["ci95"]
        text += f" [{low:+.{digits}f}, {high:+.{digits}f}]"
    return text, {"better": "better", "worse": "worse"}.get(row.get("verdict") or "", "same")


def verdict_text(row: dict[str, Any]) -> str:
    """
    >>> verdict_text({"verdict": "better"}), verdict_text({"verdict": None, "diff": 1.0}), verdict_text({})
    ('better', 'no direction', '')
    """
    if row.get("verdict"):
        return str(row["verdict"])
    return "no direction" if row.get("diff") is not None else ""


def headline(report: dict[str, Any]) -> str | None:
    """How many quality metrics moved, by their verdicts (per strategy; latency and length left out).

    >>> headline({"sides": ["tuned", "base"], "table": [
    ...     {"strategy": "code_review", "verdict": "better"},
    ...     {"strategy": "code_review", "verdict": "no detectable difference"},
    ...     {"strategy": "all", "verdict": "worse"}, {"strategy": "code_review", "verdict": None}]})
    'tuned vs base (95% paired bootstrap): better on 1 of 2 quality metrics, worse on 0, no detectable difference on 1'
    """
    if len(report["sides"]) != 2:
        return None
    verdicts = [row["verdict"] for row in report["table"] if row["strategy"] != "all" and row.get("verdict")]
    if not verdicts:
        return None
    first, second = report["sides"]
    return (
        f"{first} vs {second} (95% paired bootstrap): better on {verdicts.count('better')} of {len(verdicts)} "
        f"quality metrics, worse on {verdicts.count('worse')}, "
        f"no detectable difference on {verdicts.count('no detectable difference')}"
    )


def _rows_html(rows: list[dict[str, Any]], sides: list[str]) -> str:
    out = []
    for row in rows:
        digits = digits_of(row)
        cells = "".join(f"<td>{fmt_value(row.get(side), row['unit'], digits)}</td>" for side in sides)
        if len(sides) == 2:
            text, css = fmt_diff(row)
            cells += (
                f'<td class="{css}">{escape(text)}</td><td class="{css}">{escape(verdict_text(row))}</td>'
            )
        strategy, label = escape(strategy_name(row["strategy"])), escape(row_label(row))
        out.append(f"<tr><td>{strategy}</td><td>{label}</td>{cells}<td>{row['n']}</td></tr>")
    return "".join(out)


def _table(report: dict[str, Any]) -> str:
    sides = report["sides"]
    head = "".join(f"<th>{escape(side)}</th>" for side in sides)
    if len(sides) == 2:
        head += "<th>difference [95% interval]</th><th>verdict</th>"
    return (
        f'<table class="metrics"><thead><tr><th>strategy</th><th>metric</th>{head}<th>n</th></tr></thead>'
        f"<tbody>{_rows_html(report['table'], sides)}</tbody></table>"
    )


def _kinds(report: dict[str, Any]) -> str:
    rows = report.get("findings_by_kind") or []
    if not rows:
        return ""
    sides = report["sides"]
    head = "".join(f"<th>{escape(side)}</th>" for side in sides)
    if len(sides) == 2:
        head += "<th>difference [95% interval]</th><th>verdict</th>"
    body = _rows_html(rows, sides)
    return (
        '<h2>Review findings by kind</h2><p class="meta">micro-averaged over the samples where the kind occurs '
        "(in the reference for recall, in an answer for precision)</p>"
        f'<table class="metrics"><thead><tr><th>strategy</th><th>kind: metric</th>{head}<th>n</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def strategy_name(strategy: str) -> str:
    """
    >>> strategy_name("code_generation"), strategy_name("all")
    ('generation', 'all')
    """
    return strategy.replace("code_", "").replace("_", " ")


def _scores_line(scores: dict[str, Any]) -> str:
    parts = []
    for key, value in scores.items():
        if key in ("compile_errors", "by_kind"):
            continue
        if isinstance(value, float):
            value = f"{value:.3g}"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def _answer(row: dict[str, Any] | None, side: str) -> str:
    if row is None:
        return f'<div><div class="label">{escape(side)}</div><pre>(no answer yet)</pre></div>'
    meta = f"{row.get('latency_seconds', 0):.2f}s"
    if row.get("output_tokens") is not None:
        meta += f", {row['output_tokens']} tokens"
    errors = "".join(f"<br>{escape(e)}" for e in row.get("scores", {}).get("compile_errors", []))
    return (
        f'<div><div class="label">{escape(side)} <span class="scores">({escape(meta)})</span></div>'
        f"<pre>{escape(row['text'])}</pre>"
        f'<div class="scores">{escape(_scores_line(row.get("scores", {})))}{errors}</div></div>'
    )


def _samples(report: dict[str, Any]) -> str:
    sides = report["sides"]
    strategies = sorted({sample["strategy"] for sample in report["samples"]})
    buttons = '<button class="on" data-strategy="all">all</button>' + "".join(
        f'<button data-strategy="{escape(s)}">{escape(s)}</button>' for s in strategies
    )
    items = []
    for number, sample in enumerate(report["samples"], start=1):
        prompt = "\n\n".join(
            f"[{m['role']}] {m['text']}" if len(sample["prompt"]) > 1 else m["text"] for m in sample["prompt"]
        )
        judged = sample.get("judge")
        judge_html = ""
        if judged:
            judge_html = (
                f'<div class="label">judge: <span class="outcome-{judged["outcome"]}">{escape(judged["outcome"])}</span>'
                f' <span class="scores">(verdicts {escape(" / ".join(judged["verdicts"]))}, tuned shown first / second)</span></div>'
            )
        tag = escape(sample["strategy"]) + (
            f" - {escape(sample['unit_id'])}" if sample.get("unit_id") else ""
        )
        if judged:
            tag += f' - judge: <span class="outcome-{judged["outcome"]}">{escape(judged["outcome"])}</span>'

        answers = "".join(_answer(sample["answers"].get(side), side) for side in sides)
        items.append(
            f'<details class="sample" id="s{number}" data-strategy="{escape(sample["strategy"])}">'
            f'<summary>#{number} <span class="tag">{tag}</span></summary>'
            f'<div class="label">prompt</div><pre>{escape(prompt)}</pre>'
            f'<div class="label">reference</div><pre>{escape(sample["reference"])}</pre>'
            f'<div class="pair">{answers}</div>{judge_html}</details>'
        )
    return f'<div class="filters">{buttons}</div>' + "".join(items)


def render_html(report: dict[str, Any], loss_png: bytes | None = None) -> str:
    """The whole page as one string."""
    models = " vs ".join(
        f"{escape(side)}: <code>{escape(name)}</code>" for side, name in report["models"].items()
    )
    settings = report["settings"]
    generation = (
        f"; temperature {settings['temperature']:g}, max {settings['max_output_tokens']} output tokens"
        if settings.get("temperature") is not None
        else ""
    )
    meta = (
        f'<p class="meta">{models}<br>{report["data"]["evaluated"]} of {report["data"]["validation_examples"]} '
        f"validation examples from <code>{escape(report['data']['file'])}</code>{generation}"
        + (f"; job <code>{escape(report['job'])}</code>" if report.get("job") else "")
        + "</p>"
    )
    warnings = "".join(f'<p class="warning">{escape(text)}</p>' for text in report.get("warnings") or [])
    judge = ""
    if report.get("judge"):
        counts = report["judge"]["tally"]
        judge = (
            f'<h2>Pairwise judge</h2><p class="meta">judge <code>{escape(report["judge"]["model"])}</code>, '
            "each pair judged in both orders; a disagreement counts as a tie</p>"
            f'<p class="judge"><span class="better">tuned wins {counts["win"]}</span><span>ties {counts["tie"]}</span>'
            f'<span class="worse">tuned loses {counts["loss"]}</span></p>'
        )
    line = headline(report)
    summary = f'<p class="headline">{escape(line)}</p>' if line else ""
    loss = ""
    drop = (report.get("training") or {}).get("validation_loss")
    if loss_png or drop:
        loss = "<h2>Training loss</h2>"
        if drop:
            loss += (
                f'<p class="meta">validation loss {drop["first"]:.3f} at step {drop["first_step"]} '
                f"&rarr; {drop['last']:.3f} at step {drop['last_step']}</p>"
            )
        if loss_png:
            data = base64.b64encode(loss_png).decode("ascii")
            loss += f'<img class="loss" alt="loss curve" src="data:image/png;base64,{data}">'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(report['title'])}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(report['title'])}</h1>{meta}<h2>Metrics</h2>{summary}{warnings}{_table(report)}{_kinds(report)}"
        f"{judge}{loss}"
        f"<h2>Samples</h2>{_samples(report)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(report: dict[str, Any], out_dir: Path, loss_png: Path | None = None) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` (atomically) into ``out_dir``; returns their paths."""
    image = loss_png.read_bytes() if loss_png is not None and loss_png.is_file() else None
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    write_json(json_path, {**report, "loss_curve": str(loss_png) if image else None})
    write_text(html_path, render_html(report, image))
    return html_path, json_path
