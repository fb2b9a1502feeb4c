"""Data-parallel training across processes and machines on MXNet's KVStore.

``DataParallel`` is one worker's handle (rank, number of workers, gradient aggregation,
gathered evaluation); ``python -m minpy.nn.launch`` starts a job on this machine or on
several; ``python -m minpy.nn.distributed.node`` is a scheduler or server process. See
the guide "Training on several machines".
"""

from minpy.nn.distributed._watchdog import EXIT_PEER_LOST, EXIT_TIMEOUT
from minpy.nn.distributed.data_parallel import (
    KVSTORE_TYPES,
    ClusterError,
    DataParallel,
    ShardedIter,
    cluster_env,
    shard,
)

__all__ = ["DataParallel", "KVSTORE_TYPES", "ClusterError", "ShardedIter", "shard",
           "cluster_env", "EXIT_PEER_LOST", "EXIT_TIMEOUT"]
