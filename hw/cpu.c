// placeholder while the module is written; replaced before commit
#include "cpu.h"
