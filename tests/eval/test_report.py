from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from codetune.backends.base import GenerationOptions
from codetune.chat import Target
from codetune.eval.evaluate import evaluate
from codetune.eval.report import write_report
from codetune.eval.runner import build_report, validation_loss
from codetune.eval.samples import load_samples
from codetune.eval.scoring import ScoreContext

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _png(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([3.0, 2.0, 1.5])
    figure.savefig(path)
    plt.close(figure)
    return path


@pytest.fixture
def report_files(dataset: Path, tmp_path: Path, fake_model, perfect) -> tuple[Path, Path, dict]:
    samples = load_samples(dataset)
    models = {
        "tuned": fake_model("tuned-m", perfect),
        "base": fake_model("base-m", lambda m: "<b>not</b> & 'html'"),
    }
    out = tmp_path / "report"
    evaluation = evaluate(
        samples,
        models,
        options=GenerationOptions(),
        out_dir=out,
        context=ScoreContext(compile=False),
        judge=fake_model("judge-m", lambda m: "Verdict: tie"),
    )
    report = build_report(
        evaluation,
        target=Target("local", "job-1", None, "job-1", None),
        models={side: model.name for side, model in models.items()},
        data_file=dataset,
        total_examples=len(samples),
        settings={"temperature": 0.2, "max_output_tokens": 64, "thinking_budget": 0, "limit": 4, "seed": 0},
        judge="judge-m",
    )
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(
        '{"kind": "eval", "step": 0, "eval_loss": 2.5}\n{"kind": "train", "step": 5, "loss": 2.0}\n'
        '{"kind": "eval", "step": 10, "eval_loss": 1.25}\n'
    )
    report["training"] = {"validation_loss": validation_loss(metrics)}
    html, data = write_report(report, out, _png(tmp_path / "loss.png"))
    return html, data, report


def test_report_is_self_contained_and_escapes_answers(report_files) -> None:
    html, data, report = report_files
    page = html.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert not re.search(r"""(src|href)=["']https?://""", page)  # nothing fetched from the network
    assert "&lt;b&gt;not&lt;/b&gt; &amp; &#x27;html&#x27;" in page and "<b>not</b>" not in page
    assert data.is_file() and report["judge"]["tally"] == {"win": 0, "tie": 4, "loss": 0}
    assert "validation loss 2.500 at step 0 &rarr; 1.250 at step 10" in page


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt: chromium)")
def test_report_renders_in_headless_chromium(report_files, tmp_path: Path) -> None:
    html, _, report = report_files
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--dump-dom",
            html.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'data-ready="1"' in dom  # the inline script ran without an error
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", dom)
    assert ("explanation", "text score (ROUGE-L F1)") in rows and ("review", "findings recall") in rows
    assert ("generation", "parses (tree-sitter)") in rows
    assert len(re.findall(r'<details class="sample"', dom)) == len(report["samples"]) == 4
    # Two samples per strategy at most: intervals, but no verdict, and a warning says why.
    assert re.search(r'<td class="same">\+\d+\.\d \[[-+]\d+\.\d, [-+]\d+\.\d\]</td>', dom)
    assert '<td class="better"' not in dom and dom.count('class="warning"') == 3
    assert "Returns the number of items in the cart." in dom
    assert re.search(r'<img class="loss"[^>]*src="data:image/png;base64,', dom)


def test_report_json_and_results_carry_the_interface(report_files) -> None:
    """The names tools outside this repository read: report.json's table, results.jsonl's rows."""
    html, data, _ = report_files
    table = json.loads(data.read_text(encoding="utf-8"))["table"]
    assert table and all(
        set(row) >= {"strategy", "metric", "n", "tuned", "base", "diff", "ci95", "verdict"} for row in table
    )
    assert {row["verdict"] for row in table if row["higher_is_better"] is not None} <= {
        "better",
        "worse",
        "no detectable difference",
    }
    answers = [json.loads(line) for line in (html.parent / "results.jsonl").read_text().splitlines()]
    assert len(answers) == 8 and {row["side"] for row in answers} == {"tuned", "base"}  # answers only
    judged = (html.parent / "judgements.jsonl").read_text().splitlines()
    assert len(judged) == 4 and all("outcome" in json.loads(line) for line in judged)
    wanted = {
        "code_explanation": {"text_score"},
        "code_generation": {"compiles", "compile"},
        "code_review": {"findings_recall", "findings_precision"},
    }
    for row in answers:
        assert isinstance(row["line"], int)
        assert wanted[row["strategy"]] <= set(row["scores"])
