"""The original MinPy's ``minpy.visualization``: scalar summaries for TensorBoard.

>>> from minpy.visualization.writer import LegacySummaryWriter as SummaryWriter
>>> import minpy.visualization.summaryOps as summaryOps
>>> writer = SummaryWriter('/tmp/LR_log/train')
>>> writer.add_summary(summaryOps.scalarSummary('loss', 0.25), 1)
>>> writer.close()

``tensorboard --logdir=/tmp/LR_log`` then shows the curve. The event files are written
here, in TensorBoard's own format (TFRecord framing with masked CRC-32C checksums
around ``Event`` protocol buffers), without TensorFlow; :func:`read_events` reads them
back. As in the original, only scalar summaries exist. ``Solver(...,
visualize=True, summaries_dir=...)`` writes the training loss, the squared L2 norm of
the gradient and the training/validation accuracies.
"""

from .summaryOps import Summary, scalarSummary
from .writer import LegacySummaryWriter, SummaryWriter, read_events

__all__ = ["SummaryWriter", "LegacySummaryWriter", "scalarSummary", "Summary",
           "read_events"]
