/* worker: the scan service's job loop (placeholder header until it lands). */
#ifndef SF_WORKER_H
#define SF_WORKER_H
int sf_worker_placeholder(void);
#endif
