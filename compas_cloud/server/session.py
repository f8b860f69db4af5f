"""One client connection: decoding its messages, running its requests, answering them."""
import asyncio
import functools
import json
import logging
import traceback

import websockets

from compas_cloud.errors import (
    CallCancelled,
    LimitExceeded,
    EncodingError,
    MalformedMessage,
    ProtocolMismatch,
    ServerShuttingDown,
    ServerSideError,
    UnknownOperation,
)
from compas_cloud.protocol import arrays
from compas_cloud.protocol.codec import MAX_DEPTH
from compas_cloud.protocol import (
    dumps_plain,
    loads,
    parse_request,
    reply_error,
    reply_ok,
)
from compas_cloud.server import calls
from compas_cloud.server import extra_ops
from compas_cloud.server.callbacks import CallbackAnswers
from compas_cloud.server.fastjson import dumps, dumps_arrays
from compas_cloud.server import memory
from compas_cloud.server.store import ReferenceStore, sizeof

log = logging.getLogger("compas_cloud.server")

#: Messages larger than this are decoded in a worker thread, off the event loop.
_OFFLOAD_DECODE = 256 * 1024


def _error_data(error):
    if isinstance(error, ServerSideError):
        return error.to_data()
    return {
        "type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    }


class Session:
    """The state of one connection: its reference store, its requests in flight, its counters.

    Parameters
    ----------
    server : compas_cloud.server.app.Server
        The server this connection belongs to.
    websocket : websockets.asyncio.server.ServerConnection
        The connection.
    """

    def __init__(self, server, websocket):
        self.server = server
        self.websocket = websocket
        self._peer = None  # "host:port" of the client, kept once known (a TLS socket forgets it when it closes)
        self.store = ReferenceStore()
        self.tasks = set()
        self.running_calls = {}  # request id -> task of the calls in flight (for cancel and the call limit)
        self._cancelled = {}  # request id -> who cancelled it ("the client", "the dashboard"), until it ends
        self.call_contexts = {}  # request id -> CallContext of the calls in flight (events, callbacks, cancel)
        self.callback_answers = CallbackAnswers()
        self.messages = 0
        self.calls = 0
        self.client = {}
        self.arrays = False  # send binary arrays1 messages (the client listed "arrays1" in hello)
        self.worker_slots = asyncio.Semaphore(server.config.workers_per_connection())
        self.inline_request = None  # the call being served on the event loop (compas_cloud.server.inline)

    @property
    def peer(self):
        if self._peer is None:
            address = self.websocket.remote_address
            if address:
                self._peer = "{0}:{1}".format(address[0], address[1])
        return self._peer or "?"

    async def run(self):
        """Serve the connection until it closes."""
        async for message in self.websocket:
            self.messages += 1
            self.server.messages += 1
            self.server.monitor.received(message)
            await self._receive(message)

    def abandon(self):
        """Give up the connection's calls in flight: their callbacks stop waiting, report() stops them."""
        for context in list(self.call_contexts.values()):
            context.gone = True
            context.cancel()
        self.call_contexts.clear()
        for task in list(self.tasks):
            task.cancel()

    async def close(self):
        """Cancel the connection's requests in flight and free everything it stored."""
        self.abandon()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        freed_bytes = self.store.stored_bytes
        self.server.stored_bytes -= freed_bytes
        freed = self.store.clear()
        await self.trim(freed_bytes)
        if freed:
            log.info("freed %d stored values of %s", freed, self.peer)

    # -- receiving --------------------------------------------------------------

    async def _receive(self, message):
        if isinstance(message, bytes) and not arrays.is_binary(message):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                await self.send(dumps(reply_error(None, MalformedMessage("a binary message must hold UTF-8 JSON").to_data())))
                return
        try:
            decode = functools.partial(
                loads, strict=True, track=True, numpy_arrays=True, check_dtype=self.server.policy.check_dtype,
                max_depth=MAX_DEPTH,
            )
            if len(message) > _OFFLOAD_DECODE:
                decoded = await self.server.run_protocol(decode, message)
            else:
                decoded = decode(message)
        except ServerSideError as error:  # a COMPAS object that cannot be rebuilt
            rid, plain = _peek(message)
            await self.send(self.encode_error(rid, plain, error))
            return
        except ValueError as error:
            error = MalformedMessage("the message is not valid JSON: {0}".format(error))
            await self.send(self.encode_error(None, False, error))
            return
        except Exception as error:  # whatever decoding raised, the message gets an answer and the connection stays
            log.exception("internal error while decoding a message")
            error = MalformedMessage("the message could not be decoded: {0}: {1}".format(type(error).__name__, error))
            await self.send(self.encode_error(None, False, error))
            return
        try:
            request = parse_request(decoded.value)
        except (MalformedMessage, UnknownOperation, ProtocolMismatch) as error:
            plain = isinstance(decoded.value, dict) and "v" not in decoded.value
            await self.send(self.encode_error(error.request_id, plain, error))
            return
        except Exception as error:  # a bug in checking must not end the connection: answer it
            log.exception("internal error while checking a message")
            error = MalformedMessage("the message could not be checked: {0}: {1}".format(type(error).__name__, error))
            await self.send(self.encode_error(None, False, error))
            return
        inline = request.op == "call" and self.server.inline.admits(request, len(message))
        if request.plain:
            # Plain messages carry no id: answer them one after the other, in order.
            self.inline_request = request if inline else None
            await self._serve(request, decoded)
        else:
            if request.op == "call" and request.id in self.running_calls:
                error = MalformedMessage(
                    "request id {0!r} is already in flight on this connection: ids must be unique among "
                    "requests awaiting replies".format(request.id)
                )
                await self.send(self.encode_error(request.id, False, error))
                return
            if request.op == "call":
                limit = self.server.config.max_calls_per_connection
                if limit is not None and len(self.running_calls) >= limit:
                    error = LimitExceeded(
                        "this connection already has {0} calls running or queued, the limit set by "
                        "--max-calls-per-connection; wait for replies before sending more, or restart the "
                        "server with a larger --max-calls-per-connection".format(len(self.running_calls))
                    )
                    await self.send(self.encode_error(request.id, False, error))
                    return
            if inline:  # a function that proved fast: run it now, on the loop, without the pool hop
                self.inline_request = request
                await self._serve(request, decoded)
                return
            task = asyncio.ensure_future(self._serve(request, decoded))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            if request.op == "call":
                rid = request.id
                self.running_calls[rid] = task
                task.add_done_callback(lambda done: self._call_done(rid, done))

    async def _serve(self, request, decoded):
        watched = self.server.monitor.call_started(self, request) if request.op == "call" else None
        try:
            await self._answer(request, decoded, watched)
        finally:
            if watched is not None:
                self.server.monitor.call_ended(watched)

    async def _answer(self, request, decoded, watched):
        try:
            if self.server.stopping and request.op != "ping":
                raise ServerShuttingDown("the server is shutting down and takes no new requests")
            text = await self._handle(request, decoded)
            if watched is not None:
                watched.outcome = "ok"
        except asyncio.CancelledError:
            if watched is not None:
                watched.outcome = "cancelled"
            if request.plain or request.id not in self._cancelled:
                raise  # the connection is closing: nobody to answer
            who = self._cancelled.pop(request.id)
            error = CallCancelled(
                "call {0!r} was cancelled by {1}; a function already running finishes in the "
                "background and its result is dropped".format(request.id, who)
            )
            text = self.encode_error(request.id, False, error)
        except Exception as error:
            if not isinstance(error, ServerSideError):
                log.exception("internal error while handling %r", request)
            if watched is not None:
                watched.outcome = "cancelled" if isinstance(error, CallCancelled) else "error"
            text = self.encode_error(request.id, request.plain, error)
        await self.send(text)

    def _call_done(self, rid, task):
        if self.running_calls.get(rid) is task:
            del self.running_calls[rid]
        self._cancelled.pop(rid, None)

    def cancel(self, target, by="the client"):
        """Cancel the call ``target`` of this connection; ``by`` names who did, for the error the client gets."""
        if isinstance(target, dict):
            target = target.get("cached")
        task = self.running_calls.get(target)
        if task is None or task.done():
            return False
        self._cancelled[target] = by
        task.cancel()
        context = self.call_contexts.get(target)
        if context is not None:
            context.cancel(by)  # the function stops at its next report(), callback or check_cancelled()
        return True

    async def keep(self, value, nbytes=None):
        """Store ``value`` for this connection, within the memory limits; return its reference."""
        if nbytes is None:
            nbytes = await self.server.run_protocol(sizeof, value)
        config = self.server.config
        mine = self.store.stored_bytes + nbytes
        if config.max_connection_memory is not None and mine > config.max_connection_memory:
            raise LimitExceeded(
                "storing this value ({0}) would bring this connection's stored references to {1}, over the "
                "limit of {2} set by --max-connection-memory; free references (proxy.free, proxy.clear) or "
                "restart the server with a larger --max-connection-memory".format(
                    _mib(nbytes), _mib(mine), _mib(config.max_connection_memory)
                )
            )
        total = self.server.stored_bytes + nbytes
        if config.max_total_memory is not None and total > config.max_total_memory:
            raise LimitExceeded(
                "storing this value ({0}) would bring the stored references of all connections to {1}, over "
                "the limit of {2} set by --max-total-memory; free references or restart the server with a "
                "larger --max-total-memory".format(_mib(nbytes), _mib(total), _mib(config.max_total_memory))
            )
        self.server.stored_bytes += nbytes
        return self.store.add(value, nbytes)

    async def trim(self, freed_bytes):
        """After large frees, give the memory back to the system (glibc keeps it otherwise)."""
        if freed_bytes >= memory.TRIM_AFTER:
            try:
                await self.server.run_protocol(memory.trim)
            except RuntimeError:  # the worker pool is already shut down: the process is ending anyway
                pass

    async def send(self, text):
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # Lone surrogates (from "\\udXXX" escapes a client sent, quoted back in a message or a result)
                # cannot be sent as UTF-8: write them as the JSON escapes they came in as.
                text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        try:
            await self.websocket.send(text)
        except websockets.ConnectionClosed:
            pass  # the client left; nothing to tell it
        else:
            self.server.monitor.sent(text)

    # -- encoding ---------------------------------------------------------------

    def encode_result(self, request, result, description="the result"):
        try:
            if request.plain:
                return dumps_plain(result)
            if self.arrays and arrays.worth_packing({"result": result}):  # the client asked for binary arrays
                return dumps_arrays(reply_ok(request.id, result))
            return dumps(reply_ok(request.id, result))
        except (TypeError, ValueError, OverflowError) as error:
            raise EncodingError(
                "{0} (a {1}) cannot be sent as JSON: {2}; call with cache=True to keep it on the "
                "server and pass the reference on".format(description, type(result).__name__, error)
            ) from None

    @staticmethod
    def encode_error(rid, plain, error):
        data = _error_data(error)
        if plain:
            return dumps_plain({"error": data})
        return dumps(reply_error(rid, data))

    # -- operations -------------------------------------------------------------

    async def _handle(self, request, decoded):
        op = request.op
        fields = request.fields
        if op == "call":
            return await calls.call(self, request, decoded)
        if op.startswith("batch"):
            return await self.server.batches.handle(self, request, decoded)
        if op in extra_ops.HANDLERS:  # describe, functions, shared values, the result cache
            return self.encode_result(request, await extra_ops.HANDLERS[op](self, fields, decoded))
        if op == "cache":
            data = self.store.resolve(fields["data"]) if decoded.references else fields["data"]
            result = await self.keep(data)
        elif op == "get":
            value = self.store.get(fields["ref"])
            return await self.server.run_protocol(self.encode_result, request, value, "the stored value")
        elif op == "free":
            before = self.store.stored_bytes
            try:
                for ref in fields["refs"]:
                    self.store.free(ref)
            finally:
                self.server.stored_bytes -= before - self.store.stored_bytes
            result = len(fields["refs"])
            await self.trim(before - self.store.stored_bytes)
        elif op == "clear":
            freed_bytes = self.store.stored_bytes
            self.server.stored_bytes -= freed_bytes
            result = self.store.clear()
            await self.trim(freed_bytes)
        elif op == "cancel":
            result = self.cancel(fields["target"])
        elif op == "callback_reply":
            value = fields.get("result") if fields["ok"] else fields.get("error")
            if fields["ok"] and decoded.references:
                value = self.store.resolve(value)
            result = self.callback_answers.deliver(fields["invocation"], fields["ok"], value)
        elif op == "ping":
            result = "pong"
        elif op == "hello":
            self.client = fields.get("client") or {}
            encodings = self.client.get("encodings")
            self.arrays = isinstance(encodings, list) and arrays.ENCODING in encodings
            result = dict(self.server.hello(), encodings=["json", arrays.ENCODING])
        elif op == "version":
            result = self.server.versions()
        elif op == "status":
            result = await self.server.status(self)
        elif op == "shutdown":
            log.info("shutdown requested by %s", self.peer)
            asyncio.get_running_loop().call_soon(self.server.request_stop, "shutdown requested by a client")
            result = True
        else:  # pragma: no cover - parse_request only lets known operations through
            raise UnknownOperation("unknown operation {0!r}".format(op))
        return self.encode_result(request, result)


def _mib(nbytes):
    return "{0:.1f} MiB".format(nbytes / (1024.0 * 1024.0))


def _peek(message):
    """Return (request id, is plain) of a message that decoded as JSON but not as values."""
    try:
        value = json.loads(message)
    except (ValueError, RecursionError, TypeError):
        return None, False
    if isinstance(value, dict) and "v" in value:
        rid = value.get("id")
        return (rid if isinstance(rid, (int, str)) and not isinstance(rid, bool) else None), False
    return None, isinstance(value, dict)

