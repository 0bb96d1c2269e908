#include "CSystem.h"

__thread uint64_t cs_held_shards = 0;
__thread int cs_loop_index = -1;
__thread long cs_client_id = 0;
