/* worker: placeholder so the library has a source until the job loop lands. */
#include "worker.h"
int sf_worker_placeholder(void) { return 0; }
