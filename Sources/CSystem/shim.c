#include "CSystem.h"

__thread int cs_holds_all_shards = 0;
__thread int cs_loop_index = -1;
__thread long cs_client_id = 0;
