"""The one output capture: per-thread sinks for calls (events) and batch tasks (kept text, bounded)."""
import sys
import threading

from compas_cloud.server.output import TextSink, redirect


def test_each_thread_keeps_its_own_output_and_others_print_as_before(capsys):
    sinks = {}
    ready = threading.Barrier(2)

    def task(name):
        out, err = TextSink(1000), TextSink(1000)
        with redirect(out, err):
            ready.wait(5)
            print("from", name)
            sys.stderr.write(name + " err\n")
        sinks[name] = (out.text(), err.text())

    threads = [threading.Thread(target=task, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    print("main thread")
    assert sinks == {"a": ("from a\n", "a err\n"), "b": ("from b\n", "b err\n")}
    assert "main thread" in capsys.readouterr().out


def test_a_text_sink_keeps_up_to_its_limit_and_says_it_dropped_the_rest():
    sink = TextSink(10)
    with redirect(sink, TextSink(10)):
        sys.stdout.write("12345678")
        sys.stdout.write("abcdef")
        sys.stdout.write("more")
    assert sink.text() == "12345678ab\n[compas_cloud: output truncated after 10 characters]\n"
    small = TextSink(10)
    small.write("fits")
    assert small.text() == "fits" and not small.truncated


def test_redirects_nest_and_restore_the_outer_sinks():
    outer, inner = TextSink(100), TextSink(100)
    with redirect(outer, TextSink(100)):
        print("one")
        with redirect(inner, TextSink(100)):
            print("two")
        print("three")
    assert (outer.text(), inner.text()) == ("one\nthree\n", "two\n")
