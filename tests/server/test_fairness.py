"""Issue 13: called functions and protocol work apart, a share of the workers per connection, shutdown in every state.

Real servers, raw websocket connections: the messages are the protocol's own.
"""
import json
import signal
import time

import websocket

from helpers import ServerProcess


def raw(process):
    return websocket.create_connection(process.url, timeout=60, suppress_origin=True)


def call(rid, function, args, callbacks=None):
    message = {"v": 1, "id": rid, "op": "call", "function": function, "args": args, "kwargs": {}}
    if callbacks:
        message["callbacks"] = callbacks
    return json.dumps(message)


def receive(ws):
    return json.loads(ws.recv())


def until(ws, predicate):
    """Read messages until one matches ``predicate``; return it."""
    while True:
        message = receive(ws)
        if predicate(message):
            return message


def is_callback(message):
    return message.get("event") == "callback"


def test_a_large_callback_reply_arrives_with_one_worker():
    # The only worker runs the call waiting for the reply; decoding the reply must not need it.
    with ServerProcess("--workers", "1") as process:
        ws = raw(process)
        try:
            ws.send(call(1, "tests.callback_tasks.apply", [{"callback": 1}, 0], callbacks=[1]))
            asked = until(ws, is_callback)
            big = "x" * (600 * 1024)
            ws.send(json.dumps({"v": 1, "id": 2, "op": "callback_reply", "invocation": asked["invocation"], "ok": True,
                                "result": big}))
            replies = {}
            while len(replies) < 2:
                message = receive(ws)
                if "id" in message:
                    replies[message["id"]] = message
            assert replies[1]["ok"] is True and replies[1]["result"] == big
        finally:
            ws.close()


def test_one_connection_cannot_take_every_worker():
    # Two workers: a connection whose calls wait on callbacks it never answers holds one of them at most.
    with ServerProcess("--workers", "2") as process:
        greedy = raw(process)
        other = raw(process)
        try:
            for rid in range(1, 4):
                greedy.send(call(rid, "tests.callback_tasks.apply", [{"callback": 1}, rid], callbacks=[1]))
            until(greedy, is_callback)
            other.send(call("free", "math.hypot", [3, 4]))
            assert receive(other) == {"v": 1, "id": "free", "ok": True, "result": 5.0}
            other.send(json.dumps({"v": 1, "id": "s", "op": "status"}))
            status = receive(other)["result"]
            assert status["max_workers_per_connection"] == 1 and status["running_calls"] == 1
        finally:
            greedy.close()
            other.close()


def test_an_unanswered_callback_times_out():
    with ServerProcess("--callback-timeout", "1") as process:
        ws = raw(process)
        try:
            ws.send(call(1, "tests.callback_tasks.catch_callback_error", [{"callback": 1}], callbacks=[1]))
            reply = until(ws, lambda message: message.get("id") == 1)
            assert reply["ok"] is True and reply["result"]["type"] == "CallbackError", reply
            assert "--callback-timeout" in reply["result"]["message"]
        finally:
            ws.close()


def test_cancelled_calls_still_running_are_reported():
    with ServerProcess() as process:
        ws = raw(process)
        try:
            ws.send(call(1, "time.sleep", [3]))
            time.sleep(0.5)
            ws.send(json.dumps({"v": 1, "id": 2, "op": "cancel", "target": 1}))
            replies = {}
            while len(replies) < 2:
                message = receive(ws)
                replies[message["id"]] = message
            assert replies[1]["error"]["type"] == "CallCancelled"
            ws.send(json.dumps({"v": 1, "id": 3, "op": "status"}))
            status = receive(ws)["result"]
            assert status["abandoned_calls"] == 1 and status["running_calls"] == 1
            time.sleep(3)
            ws.send(json.dumps({"v": 1, "id": 4, "op": "status"}))
            status = receive(ws)["result"]
            assert status["abandoned_calls"] == 0 and status["running_calls"] == 0
        finally:
            ws.close()


def test_sigterm_ends_a_server_whose_workers_wait_on_callbacks():
    with ServerProcess("--workers", "1", "--shutdown-grace", "1") as process:
        ws = raw(process)
        try:
            ws.send(call(1, "tests.callback_tasks.apply", [{"callback": 1}, 0], callbacks=[1]))
            until(ws, is_callback)
            # A large message the server must decode, queued behind the waiting call before.
            ws.send(json.dumps({"v": 1, "id": 2, "op": "cache", "data": "y" * (400 * 1024)}))
            start = time.time()
            process.process.send_signal(signal.SIGTERM)
            assert process.wait(20) is not None, "the server ignored SIGTERM"
            assert time.time() - start < 15
        finally:
            ws.close()


def test_progress_is_throttled_and_the_last_report_always_arrives():
    with ServerProcess() as process:
        ws = raw(process)
        try:
            message = json.loads(call(1, "tests.callback_tasks.counted", [20000]))
            message["progress"] = True
            ws.send(json.dumps(message))
            events = []
            while True:
                received = receive(ws)
                if received.get("id") == 1:
                    break
                events.append(received)
            assert received["result"] == 20000
            assert 2 <= len(events) < 200, len(events)
            assert events[0]["done"] == 1 and events[-1]["done"] == 20000 and events[-1]["message"] == "step 20000"
            assert [event["done"] for event in events] == sorted(event["done"] for event in events)
        finally:
            ws.close()


def test_batches_are_freed_with_their_connection():
    with ServerProcess("--executor-workers", "1") as process:
        ws = raw(process)
        watcher = raw(process)
        try:
            ws.send(json.dumps({"v": 1, "id": 1, "op": "batch", "tasks": [["math.hypot", [3, 4]], ["math.sqrt", [4]]]}))
            batch = until(ws, lambda message: message.get("id") == 1)["result"]["batch"]
            ws.send(json.dumps({"v": 1, "id": 2, "op": "batch_wait", "batch": batch, "timeout": 120}))
            until(ws, lambda message: message.get("id") == 2)
            watcher.send(json.dumps({"v": 1, "id": "s", "op": "status"}))
            assert receive(watcher)["result"]["executor"]["batches_held"] == 1
            ws.close()
            deadline = time.time() + 10
            while True:
                watcher.send(json.dumps({"v": 1, "id": "s", "op": "status"}))
                held = receive(watcher)["result"]["executor"]["batches_held"]
                if held == 0 or time.time() > deadline:
                    break
                time.sleep(0.1)
            assert held == 0
        finally:
            ws.close()
            watcher.close()
