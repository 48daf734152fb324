"""Keeps moto's SQS linear in the size of a queue, and its DynamoDB writes atomic.

moto 5.2.5 (moto/sqs/models.py) does work proportional to every message a queue holds, with a
datetime-based clock read per message, at each of these steps:

- SendMessage builds all of the queue's attributes (three counts over its messages) to read
  ContentBasedDeduplication;
- ReceiveMessage builds them three times for each message it returns, to read
  MessageRetentionPeriod, besides listing the visible messages;
- DeleteMessage goes through every message twice, building a list of receipt handles for each.

Filling a queue with 10,000 messages then takes tens of minutes and one ReceiveMessage of 10
takes seconds. Started by libs/emulators (startMoto) with this folder on PYTHONPATH, Python imports
this module at start-up, and the replacements below give the same answers with one clock read
per call and no attributes built where one value is read. Other moto versions are left as they
are (with a note on stderr): check that these functions still match before extending the list.
"""

import functools
import sys
import threading
import time

PATCHED_VERSIONS = ("5.2.5",)


def _now_millis() -> float:
    return time.time() * 1000.0


def _keep_sqs_linear() -> None:
    try:
        import moto
        from moto.sqs import models
    except ImportError:
        return
    if moto.__version__ not in PATCHED_VERSIONS:
        print(
            f"libs/emulators/moto/sitecustomize.py: moto {moto.__version__} is not one of "
            f"{', '.join(PATCHED_VERSIONS)}; its SQS is left as it is (slow with big queues)",
            file=sys.stderr,
        )
        return

    Queue, Message, Backend = models.Queue, models.Message, models.SQSBackend

    def messages(self):
        now = _now_millis()
        return [m for m in self._messages if now > m.visible_at and not now < m.delayed_until]

    def delayed_count(self):
        now = _now_millis()
        return sum(1 for m in self._messages if now < m.delayed_until)

    def not_visible_count(self):
        now = _now_millis()
        return sum(1 for m in self._messages if not now > m.visible_at)

    Queue.messages = property(messages)
    Queue.approximate_number_of_messages_delayed = property(delayed_count)
    Queue.approximate_number_of_messages_not_visible = property(not_visible_count)

    # SendMessage reads one attribute, ContentBasedDeduplication, from all of them: while it
    # runs (in this thread only), `attributes` hands out that one without the counts.
    sending = threading.local()
    full_attributes = Queue.attributes.fget

    class _DeduplicationOnly:
        def __init__(self, queue):
            self._queue = queue

        def get(self, name, default=None):
            if name != "ContentBasedDeduplication":
                return full_attributes(self._queue).get(name, default)
            if not self._queue.fifo_queue:
                return default
            return str(bool(self._queue.content_based_deduplication)).lower()

    def attributes(self):
        if getattr(sending, "queue", None) is self:
            return _DeduplicationOnly(self)
        return full_attributes(self)

    Queue.attributes = property(attributes)

    def reading_deduplication_only(method, queue_parameter):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            # moto passes the queue by position or by name (EventBridge's targets: queue_name=).
            queue = args[0] if args else kwargs.get(queue_parameter)
            if queue is None:
                return method(self, *args, **kwargs)
            target = queue if isinstance(queue, Queue) else self.get_queue(queue)
            outer = getattr(sending, "queue", None)
            sending.queue = target
            try:
                return method(self, *args, **kwargs)
            finally:
                sending.queue = outer

        return wrapper

    Backend.send_message = reading_deduplication_only(Backend.send_message, "queue_name")
    Backend._validate_message = reading_deduplication_only(Backend._validate_message, "queue")

    def is_valid_for_retention(self, queue_name, message):
        queue = self.get_queue(queue_name)
        return int(queue.message_retention_period) + message.sent_timestamp / 1000 > time.time()

    def had_receipt_handle(self, receipt_handle):
        return receipt_handle == self.receipt_handle or receipt_handle in self._old_receipt_handles

    def delete_message(self, receipt_handle):
        if receipt_handle in self.deleted_messages:
            return  # deleted already: moto (and SQS) accept that
        # Receipt handles are unique: one message has it. Received messages sit near the front
        # of the list (oldest first), so the search stops early when a queue is drained.
        for index, message in enumerate(self._messages):
            if message.had_receipt_handle(receipt_handle):
                break
        else:
            raise models.ReceiptHandleIsInvalid()
        # A new list, as moto builds one: a receive in another thread may be going through the old.
        # Built under the queue's own lock, which sends append under: a message sent meanwhile
        # would otherwise be left out of the new list, and one delete could undo another.
        with self._messages_lock:
            at = index if index < len(self._messages) and self._messages[index] is message else None
            if at is None:
                at = next((i for i, m in enumerate(self._messages) if m is message), None)
            if at is not None:  # else deleted meanwhile under another of its handles
                self._messages = self._messages[:at] + self._messages[at + 1 :]
        self.pending_messages.discard(message)
        self.deleted_messages.update(message.all_receipt_handles)

    Queue.delete_message = delete_message

    # ReceiveMessage checks that a message is visible and then marks it received: two receives in
    # two server threads could both take one message (SQS never hands a message to two receivers
    # within its visibility timeout), and the first one's receipt handle is then unknown to moto.
    # One lock makes each scan one step; a long poll lets it go while it waits for messages.
    receiving = threading.RLock()
    original_receive = Backend.receive_message
    original_wait = Queue.wait_for_messages

    @functools.wraps(original_receive)
    def receive_message(self, *args, **kwargs):
        with receiving:
            return original_receive(self, *args, **kwargs)

    @functools.wraps(original_wait)
    def wait_for_messages(self, timeout):
        receiving.release()
        try:
            return original_wait(self, timeout)
        finally:
            receiving.acquire()

    Backend.receive_message = receive_message
    Queue.wait_for_messages = wait_for_messages
    Backend.is_message_valid_based_on_retention_period = is_valid_for_retention
    Message.had_receipt_handle = had_receipt_handle
    Message.visible = property(lambda self: _now_millis() > self.visible_at)
    Message.delayed = property(lambda self: _now_millis() < self.delayed_until)


def _serialise_dynamodb_writes() -> None:
    """DynamoDB applies a write with its condition atomically; moto checks the condition and then
    writes, in whichever of the server's threads got the request, so two concurrent conditional
    claims of one key could both succeed (seen in the idempotency store contract: two of 50
    concurrent claims acquired; rare, and not reproduced on demand). One lock around the backend's
    writes makes the check and the write one step, as in DynamoDB."""
    try:
        import moto
        from moto.dynamodb.models import DynamoDBBackend
    except ImportError:
        return
    if moto.__version__ not in PATCHED_VERSIONS:
        return  # noted on stderr by _keep_sqs_linear
    lock = threading.RLock()

    def serialised(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with lock:
                return method(self, *args, **kwargs)

        return wrapper

    for name in ("put_item", "update_item", "delete_item", "transact_write_items"):
        setattr(DynamoDBBackend, name, serialised(getattr(DynamoDBBackend, name)))


_keep_sqs_linear()
_serialise_dynamodb_writes()
