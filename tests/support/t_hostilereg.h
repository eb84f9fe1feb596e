/*
 * t_hostilereg: start and stop tests/fixtures/hostilereg.py (hostile
 * registry fixtures on loopback) from a C test. Header-only; include after
 * <cmocka.h> and testutil.h.
 */
#ifndef SF_T_HOSTILEREG_H
#define SF_T_HOSTILEREG_H

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* One running fixture: three origins A (the registry), B, C. */
typedef struct t_hreg {
    pid_t pid;
    int in_fd; /* the t_hreg's stdin: closing it stops it */
    int port[3];
    char base[64];
} t_hreg;

static inline void t_hreg_start(t_hreg *f, const char *mode)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    f->pid = fork();
    assert_true(f->pid >= 0);
    if (f->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]), close(out[0]);
        execlp("python3", "python3", sf_t_src("tests/fixtures/hostilereg.py"), "--mode", mode,
               (char *)NULL);
        _exit(127);
    }
    close(in[0]), close(out[1]);
    f->in_fd = in[1];
    FILE *fp = fdopen(out[0], "r");
    char line[128] = "";
    assert_non_null(fgets(line, sizeof line, fp));
    fclose(fp);
    assert_int_equal(sscanf(line, "PORTS %d %d %d", &f->port[0], &f->port[1], &f->port[2]), 3);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port[0]);
}

static inline void t_hreg_stop(t_hreg *f)
{
    close(f->in_fd);
    kill(f->pid, SIGTERM);
    waitpid(f->pid, NULL, 0);
}

#endif
