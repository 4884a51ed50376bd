"""TensorBoard event files written without TensorFlow or a protobuf runtime.

`create_file_writer(logdir)` gives a writer with `scalar`, `histogram`, `text`, `image`
and `graph`; the files are TFRecords of hand-encoded `Event` messages (see
`../shared/reference/tensorboard-format.md` for the byte-level facts) that the real
`tensorboard` reads. The Keras `TensorBoard` callback in `layered.callbacks` uses it.

Example:
    writer = layered.summary.create_file_writer("logs/demo")
    writer.scalar("loss", 0.5, step=1)
    writer.close()
"""
from layered.summary import crc32c as crc32c  # the module: crc32c.crc32c, crc32c.masked_crc32c
from layered.summary.graphdef import graph_def as graph_def, inference_graph as inference_graph
from layered.summary.png import encode_png as encode_png
from layered.summary.records import CorruptRecordError as CorruptRecordError, read_records as read_records
from layered.summary.writer import (SummaryWriter as SummaryWriter, create_file_writer as create_file_writer,
                                    default_writer as default_writer, histogram as histogram, image as image,
                                    scalar as scalar, text as text)
