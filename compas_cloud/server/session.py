"""One client connection: decoding its messages, running its requests, answering them."""
import asyncio
import functools
import json
import logging
import traceback

import websockets

from compas_cloud.errors import (
    CallCancelled,
    CallbackError,
    EncodingError,
    FunctionNotAllowed,
    LimitExceeded,
    MalformedMessage,
    ServerShuttingDown,
    ServerSideError,
)
from compas_cloud.protocol import arrays
from compas_cloud.protocol.codec import MAX_DEPTH
from compas_cloud.protocol import dumps_plain, loads
from compas_cloud.protocol.conversation_server import SEND, Reply, ServerConversation
from compas_cloud.server import memory
from compas_cloud.server.callbacks import CallbackAnswers
from compas_cloud.server.fastjson import dumps, dumps_arrays
from compas_cloud.server.fastjson import loads as plain_loads
from compas_cloud.server.metrics import describe_error
from compas_cloud.server.ops import OPS
from compas_cloud.server.store import ReferenceStore, sizeof

log = logging.getLogger("compas_cloud.server")

#: Bytes of replies a connection may have waiting to be sent before its next request is read.
MAX_UNSENT = 32 * 1024 * 1024

#: Requests a connection may have in flight before its next request is read, other than calls (bounded
#: by --max-calls-per-connection) and those that wait on something else (callback replies, cancels,
#: batch waits, and what imports modules in the worker pool: describe, functions, batch submission):
#: their replies are built at once, so a client that does not read cannot pile them up.
MAX_OTHER_REQUESTS = 8
_UNBOUNDED_OPS = frozenset(
    ["call", "callback_reply", "cancel", "batch_wait", "batch_cancel", "ping", "describe", "functions", "batch"]
)

#: Messages larger than this are decoded in a worker thread, off the event loop.
_OFFLOAD_DECODE = 256 * 1024


def message_decoder(check_dtype=None):
    """Return the function that decodes a client's message as a session does.

    Messages that hold no reference and no COMPAS object are decoded by orjson when installed
    (:func:`compas_cloud.server.fastjson.loads`); ``check_dtype`` is the policy's check of COMPAS types.
    """
    return functools.partial(
        loads, strict=True, track=True, numpy_arrays=True, check_dtype=check_dtype, max_depth=MAX_DEPTH,
        parse=plain_loads,
    )


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
        #: The rules of the conversation (calls in flight, cancels, callback invocations): sans-I/O.
        self.conversation = ServerConversation(max_calls=server.config.max_calls_per_connection)
        self.running_calls = {}  # request id -> task of the calls in flight (to cancel them)
        self.call_contexts = {}  # request id -> CallContext of the calls in flight (events, callbacks, cancel)
        self.callback_answers = CallbackAnswers(self.conversation)
        self.messages = 0
        self.calls = 0
        self.client = {}
        self.arrays = False  # send binary arrays1 messages (the client listed "arrays1" in hello)
        self.worker_slots = asyncio.Semaphore(server.config.workers_per_connection())
        self.unsent = 0  # bytes of replies and events being sent (handed over, not yet drained)
        self._writable = asyncio.Event()
        self._request_slots = asyncio.Semaphore(MAX_OTHER_REQUESTS)
        self._writable.set()
        self.inline_request = None  # the call being served on the event loop (compas_cloud.server.inline)
        #: Decodes one message (built once: the same for every message of the connection).
        self._decode = message_decoder(server.policy.check_dtype)

    @property
    def peer(self):
        if self._peer is None:
            address = self.websocket.remote_address
            if address:
                self._peer = "{0}:{1}".format(address[0], address[1])
        return self._peer or "?"

    async def run(self):
        """Serve the connection until it closes.

        Back-pressure: while the replies and events not yet handed to the network exceed
        :data:`MAX_UNSENT` bytes (a client that sends requests and does not read), the next
        request is not read.
        """
        async for message in self.websocket:
            self.messages += 1
            self.server.messages += 1
            self.server.monitor.received(message)
            await self._receive(message)
            if self.unsent > MAX_UNSENT:
                await self._writable.wait()

    def abandon(self):
        """Give up the connection's calls in flight: their callbacks stop waiting, report() stops them."""
        for context in list(self.call_contexts.values()):
            context.gone = True
            context.cancel()
        self.call_contexts.clear()
        self.callback_answers.close(CallbackError("the client has left"))
        for task in list(self.tasks):
            task.cancel()

    async def close(self):
        """Cancel the connection's requests in flight and free everything it stored."""
        self.abandon()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.server.batches.forget(self)
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
                await self.send(self.encode_error(None, False, MalformedMessage("a binary message must hold UTF-8 JSON")))
                return
        try:
            decode = self._decode
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
            kind, what = self.conversation.receive(decoded.value)
        except Exception as error:  # a bug in checking must not end the connection: answer it
            log.exception("internal error while checking a message")
            error = MalformedMessage("the message could not be checked: {0}: {1}".format(type(error).__name__, error))
            await self.send(self.encode_error(None, False, error))
            return
        if kind == SEND:
            await self.send(self.encode_reply(what))
            return
        request = what.request
        inline = request.op == "call" and self.server.inline.admits(request, len(message))
        if what.in_order:
            # Plain messages carry no id: answer them one after the other, in order.
            self.inline_request = request if inline else None
            await self._serve(request, decoded)
            return
        if inline:  # a function that proved fast: run it now, on the loop, without the pool hop
            self.inline_request = request
            try:
                await self._serve(request, decoded)
            finally:
                self.conversation.ended(request.id)
            return
        bounded = request.op not in _UNBOUNDED_OPS
        if bounded:  # its reply is built at once (a stored value, a status): a few in flight at a time
            await self._request_slots.acquire()
        task = asyncio.ensure_future(self._serve(request, decoded))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        if bounded:
            task.add_done_callback(lambda done: self._request_slots.release())
        if what.tracked:
            rid = request.id
            self.running_calls[rid] = task
            task.add_done_callback(lambda done: self._call_done(rid, done))

    async def _serve(self, request, decoded):
        """Answer ``request`` once: its operation's reply, or the error it raised (one coroutine per request)."""
        watched = self.server.monitor.call_started(self, request) if request.op == "call" else None
        try:
            try:
                if self.server.stopping and request.op != "ping":
                    raise ServerShuttingDown("the server is shutting down and takes no new requests")
                operation = OPS[request.op]  # parse_request lets only declared operations through
                result = await operation.handler(self, request, decoded)
                text = result if operation.encoded else self.encode_result(request, result)
                if watched is not None:
                    watched.outcome = "ok"
            except asyncio.CancelledError:
                if watched is not None:
                    watched.outcome = "cancelled"
                    who = self.conversation.cancelled_by(request.id)
                    watched.error = None if who is None else "cancelled by " + who
                reply = self.conversation.cancelled_reply(request)
                if reply is None:
                    raise  # the connection is closing: nobody to answer
                await self.send(self.encode_reply(reply))
                return
            except Exception as error:
                if not isinstance(error, ServerSideError):
                    log.exception("internal error while handling %r", request)
                elif isinstance(error, (FunctionNotAllowed, LimitExceeded)):
                    log.warning("refused a request of %s: %s", self.peer, error)
                if watched is not None:
                    watched.outcome = "cancelled" if isinstance(error, CallCancelled) else "error"
                    watched.error = describe_error(error)
                text = self.encode_error(request.id, request.plain, error)
            if self.conversation.answering(request):  # every request is answered once
                await self.send(text)
        finally:
            if watched is not None:
                self.server.monitor.call_ended(watched)

    def _call_done(self, rid, task):
        if self.running_calls.get(rid) is task:
            del self.running_calls[rid]
        self.conversation.ended(rid)

    def cancel(self, target, by="the client"):
        """Cancel the call ``target`` of this connection; ``by`` names who did, for the error the client gets."""
        if not self.conversation.cancel(target, by):
            return False
        if isinstance(target, dict):
            target = target.get("cached")
        task = self.running_calls.get(target)
        if task is not None:
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

    async def send_event(self, rid, text):
        """Send an event of call ``rid``; return False (sending nothing) once the call has been answered."""
        if not self.conversation.accepts_event(rid):
            return False
        await self.send(text)
        return True

    async def send(self, text):
        if isinstance(text, str) and not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # Lone surrogates (from "\\udXXX" escapes a client sent, quoted back in a message or a result)
                # cannot be sent as UTF-8: write them as the JSON escapes they came in as.
                text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        size = len(text)
        self.unsent += size
        if self.unsent > MAX_UNSENT:
            self._writable.clear()
        try:
            await self.websocket.send(text)
        except websockets.ConnectionClosed:
            pass  # the client left; nothing to tell it
        else:
            self.server.monitor.sent(text)
        finally:
            self.unsent -= size
            if self.unsent <= MAX_UNSENT:
                self._writable.set()

    # -- encoding ---------------------------------------------------------------

    def encode_reply(self, reply):
        """Encode a :class:`~compas_cloud.protocol.conversation_server.Reply` as the text (or bytes) to send."""
        message = reply.message()
        if reply.plain:
            return dumps_plain(message)
        if self.arrays and reply.ok and arrays.worth_packing({"result": reply.value}):  # the client asked for binary arrays
            return dumps_arrays(message)
        return dumps(message)

    def encode_result(self, request, result, description=None, function=None):
        """Encode the reply carrying ``result`` (safe to run in a worker thread).

        The error names ``description`` ("the stored value", say), or the result of ``function`` (a
        function's name: the text is only built when it is needed), or "the result".

        Raises
        ------
        EncodingError
            When the result cannot be sent as JSON.
        """
        try:
            return self.encode_reply(Reply(request.id, request.plain, True, result))
        except (TypeError, ValueError, OverflowError) as error:
            if description is None:
                description = "the result" if function is None else "the result of {0!r}".format(function)
            raise EncodingError(
                "{0} (a {1}) cannot be sent as JSON: {2}; call with cache=True to keep it on the "
                "server and pass the reference on".format(description, type(result).__name__, error)
            ) from None

    @staticmethod
    def encode_error(rid, plain, error):
        """Encode the error reply carrying ``error`` (an exception) to request ``rid``."""
        message = Reply(rid, plain, False, _error_data(error)).message()
        return dumps_plain(message) if plain else dumps(message)


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

