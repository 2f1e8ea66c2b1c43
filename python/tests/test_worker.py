"""The worker process, driven over its pipes exactly as the TypeScript server drives it."""

from __future__ import annotations

import os
import signal
import time
from typing import Iterator

import pytest
from harness import FIXTURES, Worker


@pytest.fixture
def spawn() -> Iterator:
    workers: list[Worker] = []

    def make(ref: str, **kwargs) -> Worker:
        worker = Worker(ref, **kwargs)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()


def ready(spawn, ref: str, **kwargs) -> Worker:
    worker = spawn(ref, **kwargs)
    reply, _ = worker.setup()
    assert reply["type"] == "ready", (reply, worker.messages)
    return worker


# -- setup ------------------------------------------------------------------------------------


def test_setup_ready_with_import_and_setup_logs(spawn):
    worker = spawn("hello.py:Predictor")
    reply, logs = worker.setup()
    assert reply == {"type": "ready", "async": False}
    assert logs == "importing hello\nsetting up\nsetup warning\n"
    sources = [(m["source"], m["data"]) for m in worker.messages if m["type"] == "log"]
    assert ("stderr", "setup warning\n") in sources


def test_setup_logs_include_subprocess_output(spawn):
    worker = spawn("logs.py")
    reply, logs = worker.setup()
    assert reply["type"] == "ready"
    assert logs == "setup subprocess\n"


def test_setup_failed_sends_traceback_first(spawn):
    worker = spawn("setup_error.py:Predictor")
    reply, logs = worker.setup()
    assert reply == {"type": "setup_failed", "error": "weights are corrupt"}
    assert logs.startswith("loading weights\nTraceback (most recent call last):\n")
    assert 'setup_error.py", line 7, in setup' in logs
    assert logs.endswith("ValueError: weights are corrupt\n")
    assert worker.messages.index(reply) == len(worker.messages) - 1
    # Predictions after a failed setup fail at once, and the worker stays up for shutdown.
    result = worker.predict("p1")
    assert result.status == "failed" and "setup failed" in result.error


def test_sys_exit_in_setup_is_a_setup_failure(spawn):
    reply, logs = spawn("setup_exit.py:Predictor").setup()
    assert reply["type"] == "setup_failed"
    assert "SystemExit" in logs


def test_import_error_is_a_setup_failure(spawn):
    reply, logs = spawn("import_error.py").setup()
    assert reply == {"type": "setup_failed", "error": "No module named 'definitely_not_an_installed_module'"}
    assert "ModuleNotFoundError" in logs


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("missing.py:Predictor", "predictor file 'missing.py' not found"),
        ("hello.py:Nope", "hello.py has no 'Nope'"),
        ("function.py", "function.py defines no Runner or Predictor"),
        ("bad_shapes.py:NotAPredictor", "bad_shapes.py:NotAPredictor is a int, not a class or a function"),
        ("bad_shapes.py:Both", "bad_shapes.py:Both defines both run() and predict()"),
        ("bad_shapes.py:Neither", "bad_shapes.py:Neither has no run() or predict() method"),
        ("bad_shapes.py:AsyncSetupSyncPredict", "setup() is async but predict() is not"),
    ],
)
def test_bad_references_fail_setup_clearly(spawn, ref, message):
    reply, logs = spawn(ref).setup()
    assert reply["type"] == "setup_failed"
    assert message in reply["error"]
    assert logs.endswith(reply["error"] + "\n") and "Traceback" not in logs  # no traceback needed


def test_setup_receives_weights_when_it_takes_them(spawn):
    worker = ready(spawn, "setup_weights.py:Predictor")  # weights null
    assert worker.predict("p1").output is None
    worker = spawn("setup_weights.py:Predictor")
    worker.setup(weights="https://example.com/weights.tar")
    assert worker.predict("p1").output == "https://example.com/weights.tar"


def test_default_name_finds_runner(spawn):
    worker = ready(spawn, "runner.py")
    assert worker.predict("p1", {"n": 41}).output == 42
    assert worker.predict("p2").output == 2  # the Input default


def test_predictor_in_a_subdirectory_imports_its_sibling(spawn):
    worker = ready(spawn, "subdir/predict.py:Predictor")
    assert worker.predict("p1", {"text": "hey"}).output == "HEY!"


# -- predictions ------------------------------------------------------------------------------


def test_class_predictor_keeps_state_and_routes_logs(spawn):
    worker = ready(spawn, "hello.py:Predictor")
    first = worker.predict("p1", {"text": "bob"})
    second = worker.predict("p2")
    assert (first.status, first.output, first.text) == ("done", "hello bob #1", "greeting bob\n")
    assert (second.output, second.text) == ("hello world #2", "greeting world\n")


def test_function_predictor(spawn):
    worker = ready(spawn, "function.py:run")
    result = worker.predict("p1", {"text": "ab", "unknown": 1})
    assert (result.output, result.text) == ("abab", "running\n")


def test_input_conversions(spawn, tmp_path):
    (tmp_path / "a.txt").write_text("A")
    (tmp_path / "b.bin").write_bytes(b"B")
    (tmp_path / "c.txt").write_text("C")
    worker = ready(spawn, "input_types.py:Predictor")
    inputs = {
        "path": str(tmp_path / "a.txt"),
        "file": str(tmp_path / "b.bin"),
        "secret": "s3cret",
        "paths": [str(tmp_path / "a.txt"), str(tmp_path / "c.txt")],
        "plain_paths": [str(tmp_path / "c.txt")],
        "union_path": str(tmp_path / "c.txt"),
        "ratio": 2,
    }
    result = worker.predict("p1", inputs)
    assert result.status == "done", result.text
    assert result.output == {
        "path": ["Path", "A"],
        "file": ["B", False],
        "secret": ["**********", "**********", "s3cret"],
        "paths": ["A", "C"],
        "plain_paths": ["Path"],
        "maybe_path": None,
        "union_path": "Path",
        "count": 3,
        "ratio": ["float", 2.0],
        "words": ["a", "mutated"],
        "note": None,
    }
    # A mutable default is fresh for each prediction.
    again = worker.predict("p2", {**inputs, "maybe_path": str(tmp_path / "a.txt"), "count": 5})
    assert again.output["words"] == ["a", "mutated"]
    assert again.output["maybe_path"] == str(tmp_path / "a.txt")
    assert again.output["count"] == 5


def test_missing_required_input_fails_the_prediction(spawn):
    worker = ready(spawn, "input_types.py:Predictor")
    result = worker.predict("p1", {})
    assert result.status == "failed"
    assert result.error == "missing required input: path"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("zero", 0),
        ("false", False),
        ("float", 1.5),
        ("none", None),
        ("enum", {"color": "red", "level": 3}),
        ("tuple", [1, "two", [3]]),
        ("set", [7]),
        ("datetime", "2024-01-02T03:04:05"),
        ("numpy", {"array": [[1, 2], [3, 4]]}),
        ("secret", "**********"),
        ("list_of_models", [{"x": 1, "y": 2}, {"x": 3, "y": 4}]),
        ("model_default", {"text": "bare", "image": None, "tags": [], "score": 0.0}),
        ("relative_path", os.path.join(FIXTURES, "relative.txt")),
    ],
)
def test_output_values(spawn, kind, expected):
    worker = ready(spawn, "output_types.py:Predictor")
    result = worker.predict("p1", {"kind": kind})
    assert result.status == "done", result.text
    assert result.output == expected
    assert result.outputs == []


def test_file_outputs_are_absolute_paths(spawn):
    worker = ready(spawn, "output_types.py:Predictor")
    path = worker.predict("p1", {"kind": "path"}).output
    assert os.path.isabs(path) and os.path.basename(path) == "out.txt"
    assert open(path).read() == "path output"

    model = worker.predict("p2", {"kind": "model"}).output
    assert list(model) == ["text", "image", "tags", "score"]
    assert model["text"] == "hi" and model["tags"] == [] and model["score"] == 2
    assert os.path.basename(model["image"]) == "image.png" and open(model["image"]).read() == "png"

    in_memory = worker.predict("p3", {"kind": "bytes_file"}).output
    assert os.path.basename(in_memory) == "output" and open(in_memory, "rb").read() == b"in memory"

    named = worker.predict("p4", {"kind": "named_file"}).output
    assert os.path.basename(named) == "named.txt" and open(named).read() == "named file"


@pytest.mark.parametrize(("kind", "message"), [("nan", "output is nan"), ("object", "output has type builtins.object")])
def test_unencodable_output_fails_clearly(spawn, kind, message):
    worker = ready(spawn, "output_types.py:Predictor")
    result = worker.predict("p1", {"kind": kind})
    assert result.status == "failed"
    assert message in result.error
    assert worker.predict("p2", {"kind": "zero"}).output == 0


def test_generator_outputs_arrive_as_produced(spawn):
    worker = ready(spawn, "iterators.py:Predictor")
    result = worker.predict("p1", {"n": 3})
    assert result.status == "done" and result.output is None
    assert [os.path.basename(p) for p in result.outputs] == ["cog-test-iter-0.txt", "cog-test-iter-1.txt", "cog-test-iter-2.txt"]
    kinds = [m["type"] for m in worker.messages if m.get("id") == "p1"]
    assert kinds == ["log", "output", "log", "output", "log", "output", "done"]


def test_generator_failing_midstream_keeps_earlier_outputs(spawn):
    worker = ready(spawn, "iterators.py:Predictor")
    result = worker.predict("p1", {"n": 3, "fail_at": 2})
    assert result.status == "failed" and result.error == "failed at 2"
    assert len(result.outputs) == 2


def test_concatenate_iterator_and_returned_iterator(spawn):
    worker = ready(spawn, "iterators.py:tokens")
    result = worker.predict("p1", {"prompt": "hello big world"})
    assert result.outputs == ["hello ", "big ", "world "] and result.output is None
    worker = ready(spawn, "iterators.py:returns_iterator")
    assert worker.predict("p1", {"n": 3}).outputs == [0, 1, 2]


def test_future_annotations_and_typed_base_model(spawn, tmp_path):
    (tmp_path / "in.txt").write_text("12345")
    worker = ready(spawn, "future_annotations.py:Predictor")
    result = worker.predict("p1", {"source": str(tmp_path / "in.txt")})
    assert result.status == "done", result.text
    assert result.output == {"copy": "/tmp/cog-future-in.txt", "size": 5}


# -- logs -------------------------------------------------------------------------------------


def test_print_subprocess_and_fd_output_land_in_the_prediction(spawn):
    worker = ready(spawn, "logs.py")
    first = worker.predict("p1", {"tag": "A"})
    second = worker.predict("p2", {"tag": "B"})
    for result, tag in ((first, "A"), (second, "B")):
        stdout, stderr = result.source("stdout"), result.source("stderr")
        assert result.status == "done"
        for line in (f"print {tag}\n", f"subprocess-out {tag}\n", f"fd1 {tag}\n", f"thread {tag}\n", f"buffer {tag}\n"):
            assert line in stdout, (line, stdout)
        assert f"partial {tag}" in stdout
        for line in (f"stderr {tag}\n", f"subprocess-err {tag}\n", f"INFO logging {tag}\n"):
            assert line in stderr, (line, stderr)
        other = "B" if tag == "A" else "A"
        assert f" {other}\n" not in result.text
        # Everything was sent before the terminal message.
        last = max(i for i, m in enumerate(worker.messages) if m.get("id") == result.terminal["id"])
        assert worker.messages[last] is result.terminal


def test_concurrent_async_predictions_keep_separate_logs(spawn):
    worker = spawn("async_predictors.py:Sleeper")
    reply, logs = worker.setup()
    assert reply == {"type": "ready", "async": True}
    assert logs == "async setup\n"
    started = time.monotonic()
    worker.start("a", {"name": "alpha", "delay": 0.3}, context={"who": "ann"})
    worker.start("b", {"name": "beta", "delay": 0.1}, context={"who": "bo"})
    a, b = worker.result("a"), worker.result("b")
    assert time.monotonic() - started < 1.0  # they ran at the same time
    assert (a.output, a.text) == ("alpha:ann", "alpha start\nalpha end\n")
    assert (b.output, b.text) == ("beta:bo", "beta start\nbeta end\n")
    assert [m["id"] for m in worker.messages if m["type"] == "done"] == ["b", "a"]


def test_async_generator_streams(spawn):
    worker = spawn("async_predictors.py:Streamer")
    assert worker.setup()[0] == {"type": "ready", "async": True}
    result = worker.predict("p1", {"n": 3})
    assert result.outputs == ["t0", "t1", "t2"] and result.output is None


def test_async_function_errors_fail_only_that_prediction(spawn):
    worker = spawn("async_predictors.py:failing")
    assert worker.setup()[0]["async"] is True
    failed = worker.predict("p1", {"mode": "raise"})
    assert (failed.status, failed.error, failed.outputs) == ("failed", "async boom", [1])
    assert "ValueError: async boom" in failed.source("stderr")
    exited = worker.predict("p2", {"mode": "exit"})
    assert exited.status == "failed" and exited.error == "predictor called sys.exit(2)"
    assert worker.predict("p3", {"mode": "ok"}).status == "done"


# -- cancel -----------------------------------------------------------------------------------


def test_cancel_interrupts_a_sleeping_sync_predict(spawn):
    worker = ready(spawn, "sleeper.py:Predictor")
    worker.start("p1", {"seconds": 60})
    worker.wait_for(lambda m: m["type"] == "log" and m["id"] == "p1")
    started = time.monotonic()
    worker.send({"type": "cancel", "id": "p1"})
    result = worker.result("p1", timeout=5)
    assert time.monotonic() - started < 2
    assert result.status == "canceled"
    assert result.text == "going to sleep\ncleanup 1\n"
    # The worker goes on; an unknown or finished id is ignored.
    worker.send({"type": "cancel", "id": "p1"})
    worker.send({"type": "cancel", "id": "nope"})
    assert worker.predict("p2", {"seconds": 0}).output == "slept, cleanups=1"


def test_cancel_of_a_queued_sync_prediction(spawn):
    worker = ready(spawn, "sleeper.py:Predictor")
    worker.start("p1", {"seconds": 0.5})
    worker.start("p2", {"seconds": 60})
    worker.send({"type": "cancel", "id": "p2"})
    assert worker.result("p1").output == "slept, cleanups=0"
    result = worker.result("p2")
    assert result.status == "canceled" and result.text == ""


def test_cancel_never_cuts_a_message_in_half(spawn):
    worker = ready(spawn, "sleeper.py:Chatty")
    for attempt in range(5):
        prediction_id = f"p{attempt}"
        worker.start(prediction_id)
        worker.wait_for(lambda m, pid=prediction_id: m["type"] == "output" and m["id"] == pid and m["value"] >= 50)
        worker.send({"type": "cancel", "id": prediction_id})
        result = worker.result(prediction_id)  # the harness fails on any line that is not JSON
        assert result.status == "canceled"
        assert result.outputs == list(range(len(result.outputs)))


def test_cancel_of_an_async_prediction(spawn):
    worker = spawn("async_predictors.py:Cancellable")
    assert worker.setup()[0]["async"] is True
    worker.start("p1", {"seconds": 60})
    worker.start("p2", {"seconds": 0.3})
    worker.wait_for(lambda m: m["type"] == "log" and m["id"] == "p1")
    worker.send({"type": "cancel", "id": "p1"})
    p1 = worker.result("p1", timeout=3)
    assert p1.status == "canceled" and p1.text == "sleeping 60.0\ncleaning up\n"  # float input: 60 arrives as 60.0
    assert worker.result("p2").output == "slept"


def test_cancel_of_an_async_prediction_before_it_starts(spawn):
    worker = spawn("async_predictors.py:Cancellable")
    worker.setup()
    worker.send({"type": "predict", "id": "p1", "input": {"seconds": 60}, "context": {}})
    worker.send({"type": "cancel", "id": "p1"})
    assert worker.result("p1", timeout=3).status == "canceled"


# -- errors -----------------------------------------------------------------------------------


def test_exception_fails_only_that_prediction(spawn):
    worker = ready(spawn, "errors.py:Predictor")
    failed = worker.predict("p1", {"mode": "raise"})
    assert failed.status == "failed" and failed.error == "boom"
    stderr = failed.source("stderr")
    assert stderr.startswith("Traceback (most recent call last):\n")
    assert "cog/server" not in stderr  # the worker's own frames are left out
    assert 'in helper\n    raise ValueError("boom")' in stderr
    assert failed.logs[0]["data"] == "mode raise\n"  # output first, then the traceback
    assert worker.predict("p2", {"mode": "empty"}).error == "RuntimeError"
    assert worker.predict("p3", {"mode": "interrupt"}).error == "KeyboardInterrupt"
    ok = worker.predict("p4", {"mode": "swallow_all"})
    assert ok.status == "done" and ok.output == f"fine in {worker.proc.pid}"


def test_sys_exit_in_predict_fails_that_prediction_only(spawn):
    worker = ready(spawn, "errors.py:Predictor")
    result = worker.predict("p1", {"mode": "exit"})
    assert (result.status, result.error) == ("failed", "predictor called sys.exit(3)")
    assert worker.predict("p2").status == "done"
    assert worker.proc.poll() is None


# -- metrics ----------------------------------------------------------------------------------


def test_metrics_and_scope_context(spawn):
    worker = ready(spawn, "metrics.py:Predictor")
    result = worker.predict("p1", context={"user": "u1"})
    assert result.status == "done", result.text
    assert result.output == {"context": {"user": "u1"}, "errors": ["ValueError", "ValueError", "TypeError", "TypeError"]}
    assert [(m["name"], m["value"], m["mode"]) for m in result.metrics] == [
        ("tokens", 10, "replace"),
        ("steps", 1, "incr"),
        ("steps", 2, "incr"),
        ("timings", 0.5, "append"),
        ("label", "x", "replace"),
        ("legacy", 2.5, "replace"),
    ]
    assert not [m for m in worker.messages if m["type"] == "metric" and m["id"] != "p1"]


# -- train ------------------------------------------------------------------------------------


def test_train_mode_function(spawn):
    worker = spawn("train.py:train", mode="train")
    assert worker.setup()[0]["type"] == "ready"
    result = worker.predict("t1", {"steps": 3})
    assert result.output == {"weights": "/tmp/cog-test-weights.txt"}
    assert result.text == "training 3 steps\n"


def test_train_mode_class_with_setup(spawn):
    worker = spawn("train.py", mode="train")  # no name: Trainer
    worker.setup(weights="base")
    assert worker.predict("t1", {"steps": 4}).output == "base+4"


# -- shutdown ---------------------------------------------------------------------------------


def test_shutdown_exits_while_predict_hangs(spawn):
    worker = ready(spawn, "sleeper.py:Predictor")
    worker.start("p1", {"seconds": 60})
    worker.wait_for(lambda m: m["type"] == "log" and m["id"] == "p1")
    started = time.monotonic()
    worker.send({"type": "shutdown"})
    assert worker.wait_exit(timeout=5) == 0
    assert time.monotonic() - started < 2


def test_sigint_does_not_stop_the_worker(spawn):
    worker = ready(spawn, "hello.py:Predictor")
    worker.proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    assert worker.predict("p1").output == "hello world #1"


def test_end_of_input_exits(spawn):
    worker = ready(spawn, "hello.py:Predictor")
    worker.close_input()
    assert worker.wait_exit(timeout=5) == 0


def test_end_of_input_exits_before_setup(spawn):
    worker = spawn("hello.py:Predictor")
    worker.close_input()
    assert worker.wait_exit(timeout=5) == 0
    assert worker.messages == []


def test_protocol_lines_are_ascii_json(spawn):
    worker = ready(spawn, "function.py:run")
    result = worker.predict("p1", {"text": "é\ud800", "times": 1})
    assert result.output == "é\ud800"
