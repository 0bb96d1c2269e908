#include "CSystem.h"

__thread int cs_holds_all_shards = 0;
