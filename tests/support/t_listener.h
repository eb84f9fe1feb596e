/*
 * t_listener: a TCP listener on 127.0.0.1 standing in for a host a test
 * must prove was never contacted (an internal service named by a hostile
 * job): it counts connections and answers each request with a 404.
 * Header-only; include after <cmocka.h>.
 */
#ifndef SF_T_LISTENER_H
#define SF_T_LISTENER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct t_listener {
    int fd, port, conns; /* conns: atomic */
    pthread_t th;
} t_listener;

static inline void *t_listener_serve(void *arg)
{
    t_listener *l = arg;
    for (;;) {
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        __atomic_add_fetch(&l->conns, 1, __ATOMIC_SEQ_CST);
        char buf[4096];
        (void)!recv(c, buf, sizeof buf, 0);
        const char *r = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!send(c, r, strlen(r), MSG_NOSIGNAL);
        close(c);
    }
}

static inline void t_listener_start(t_listener *l)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    l->conns = 0;
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l->fd, 16), 0);
    getsockname(l->fd, (struct sockaddr *)&a, &al);
    l->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&l->th, NULL, t_listener_serve, l), 0);
}

static inline int t_listener_conns(t_listener *l)
{
    return __atomic_load_n(&l->conns, __ATOMIC_SEQ_CST);
}

static inline void t_listener_stop(t_listener *l)
{
    shutdown(l->fd, SHUT_RDWR);
    close(l->fd);
    pthread_join(l->th, NULL);
}

#endif
