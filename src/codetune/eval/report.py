"""The evaluation report: ``report.json`` (everything, for tools) and ``report.html`` (for people).

The HTML file is self-contained: inline CSS and a few lines of inline script, the job's loss curve
embedded as a base64 PNG, no network. It shows the metric table (tuned, base, difference, coloured by
whether the difference is an improvement), the judge's win/tie/loss, and every sample side by side.
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


def fmt_value(value: float | None, unit: str) -> str:
    """
    >>> fmt_value(41.25, "%"), fmt_value(None, "s"), fmt_value(1.5, "s")
    ('41.2%', '-', '1.50s')
    """
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.2f}s"
    return f"{value:.1f}{unit}"


def fmt_diff(row: dict[str, Any]) -> tuple[str, str]:
    """The difference as text and its CSS class (better/worse/same) given the metric's direction.

    >>> fmt_diff({"diff": 3.0, "higher_is_better": True, "unit": "%"})
    ('+3.0', 'better')
    >>> fmt_diff({"diff": 0.4, "higher_is_better": False, "unit": "s"})
    ('+0.40', 'worse')
    """
    diff = row.get("diff")
    if diff is None:
        return "-", "same"
    text = f"{diff:+.2f}" if row.get("unit") == "s" else f"{diff:+.1f}"
    higher = row.get("higher_is_better")
    if higher is None or abs(diff) < 1e-9:
        return text, "same"
    return text, "better" if (diff > 0) == higher else "worse"


def headline(report: dict[str, Any]) -> str | None:
    """``tuned is better on 5 of 7 quality metrics, worse on 1`` (latency and length left out).

    >>> headline({"sides": ["tuned", "base"], "table": [
    ...     {"strategy": "code_review", "diff": 10.0, "higher_is_better": True, "unit": "%"},
    ...     {"strategy": "all", "diff": 1.0, "higher_is_better": False, "unit": "s"}]})
    'tuned is better on 1 of 1 quality metrics, worse on 0'
    """
    if len(report["sides"]) != 2:
        return None
    quality = [row for row in report["table"] if row["strategy"] != "all" and row.get("diff") is not None]
    if not quality:
        return None
    verdicts = [fmt_diff(row)[1] for row in quality]
    first = report["sides"][0]
    return (
        f"{first} is better on {verdicts.count('better')} of {len(quality)} quality metrics, "
        f"worse on {verdicts.count('worse')}"
    )


def _table(report: dict[str, Any]) -> str:
    sides = report["sides"]
    head = "".join(f"<th>{escape(side)}</th>" for side in sides)
    diff_head = "<th>difference</th>" if len(sides) == 2 else ""
    rows = []
    for row in report["table"]:
        cells = "".join(f"<td>{fmt_value(row.get(side), row['unit'])}</td>" for side in sides)
        if len(sides) == 2:
            text, css = fmt_diff(row)
            cells += f'<td class="{css}">{text}</td>'
        strategy = row["strategy"].replace("code_", "").replace("_", " ")
        rows.append(
            f"<tr><td>{escape(strategy)}</td><td>{escape(row['label'])}</td>{cells}<td>{row['n']}</td></tr>"
        )
    return (
        f'<table class="metrics"><thead><tr><th>strategy</th><th>metric</th>{head}{diff_head}<th>n</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _scores_line(scores: dict[str, Any]) -> str:
    parts = []
    for key, value in scores.items():
        if key == "compile_errors":
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
    meta = (
        f'<p class="meta">{models}<br>{report["data"]["evaluated"]} of {report["data"]["validation_examples"]} '
        f"validation examples from <code>{escape(report['data']['file'])}</code>; temperature "
        f"{settings['temperature']:g}, max {settings['max_output_tokens']} output tokens"
        + (f"; job <code>{escape(report['job'])}</code>" if report.get("job") else "")
        + "</p>"
    )
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
        f"<h1>{escape(report['title'])}</h1>{meta}<h2>Metrics</h2>{summary}{_table(report)}{judge}{loss}"
        f"<h2>Samples</h2>{_samples(report)}<script>{_SCRIPT}</script></body></html>\n"
    )


def write_report(report: dict[str, Any], out_dir: Path, loss_png: Path | None = None) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` (atomically) into ``out_dir``; returns their paths."""
    image = loss_png.read_bytes() if loss_png is not None and loss_png.is_file() else None
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    write_json(json_path, {**report, "loss_curve": str(loss_png) if image else None})
    write_text(html_path, render_html(report, image))
    return html_path, json_path
