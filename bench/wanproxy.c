/*
** wanproxy: a TCP proxy on 127.0.0.1 that makes a loopback connection behave
** like a wide-area link, for the benchmarks' WAN mode (bench/run.sh with
** PONTOON_BENCH_WAN=1; the kernel's netem is not available on the machines
** the benchmarks run on).
**
**   wanproxy -l LISTEN_PORT -t TARGET_PORT [-b BITS_PER_SECOND] [-d DELAY_MS]
**            [-s STATS_FILE]
**
**   cc -O2 -o wanproxy bench/wanproxy.c
**   wanproxy -l 0 -t 5432 &            # prints the port it listens on
**   psql "host=127.0.0.1 port=THAT_PORT ..."
**
** Every connection accepted on 127.0.0.1:LISTEN_PORT is joined to a new
** connection to 127.0.0.1:TARGET_PORT.  Each direction of each connection
** is shaped on its own, as one direction of a link:
**
**   - bandwidth: a token bucket filled at BITS_PER_SECOND (default 100M,
**     suffixes k, M, G are powers of 1000; 0: no limit), as deep as 2 ms of
**     that rate and at least 32 KiB.
**     Bytes are taken from the sender only as the bucket holds tokens for
**     them, so the sender's own socket buffer and TCP flow control see the
**     link's rate;
**   - latency: every byte taken is handed to the receiver DELAY_MS (default
**     10, fractions allowed) after it was taken, not sooner: a timed queue
**     (a ring buffer of bytes and a ring of release times), so a round trip
**     through the proxy costs 2 * DELAY_MS, as on a link, rather than only
**     throttling;
**   - the connection's opening: the client's connect() returns at once here
**     where a link costs it one round trip (SYN, SYN-ACK), and the server
**     sees the connection one and a half round trips after the SYN.  So
**     nothing the client sends counts as sent before 2 * DELAY_MS after the
**     accept, nor anything the server sends before 3 * DELAY_MS: a
**     connection costs the round trips it costs on a link;
**   - the end of a stream (a half close) travels like data: the receiver's
**     side is shut for writing DELAY_MS after the sender's end was read, and
**     after every byte before it.
**
** One thread, ppoll() over every socket with nanosecond timeouts; memory is
** allocated per connection (two rings), never per byte or per read.  The
** proxy's own cost is a copy through user space: on loopback that is far
** below the default link's rate.  SIGTERM or SIGINT: every connection is
** closed, memory freed, exit status 0.
**
** -s STATS_FILE: each time a connection ends, the file is rewritten with
** one line, "down UP", the bytes carried from the servers to the clients
** and from the clients to the servers since the proxy started (all
** connections, ended or not): a benchmark reads it before and after a run
** to learn what crossed the link.  With -b 0 -d 0 the proxy only counts.
**
** Once listening it prints the port on stdout (one line, flushed), so that a
** caller that passed -l 0 learns the port the kernel chose.  Errors on
** stderr.  Never any address but 127.0.0.1.
**
** Rationale: listening on 127.0.0.1 only, and connecting only to
** 127.0.0.1, keeps a benchmark helper from ever exposing a database server
** to the network or reaching another host.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define NSEG 4096 /* release times queued per direction */
#define MIN_RING 65536 /* smallest ring per direction, bytes */
#define MAX_READ 65536 /* largest read without a rate limit */
#define NS 1000000000LL

/* Bytes [previous segment's end, iEnd) of a direction's stream go to the
** receiver at tRelease (CLOCK_MONOTONIC nanoseconds). */
typedef struct Seg {
  uint64_t iEnd;
  int64_t tRelease;
} Seg;

/* One direction of a connection: from fdFrom to fdTo. */
typedef struct Pipe {
  int fdFrom, fdTo;
  unsigned char *aBuf; /* ring of nBuf bytes (a power of 2) */
  uint64_t nIn; /* bytes read from fdFrom so far */
  uint64_t nOut; /* bytes written to fdTo so far (nOut <= nIn) */
  Seg *aSeg; /* ring of NSEG release times */
  unsigned iSegHead; /* first queued segment (counts, mod NSEG) */
  unsigned iSegTail; /* one past the last */
  double rTokens; /* bytes the bucket holds */
  int64_t tRefill; /* when rTokens was last brought up to date */
  int64_t tOpen; /* nothing read counts as sent before this */
  int eEof; /* 0 open, 1 end read from fdFrom, 2 fdTo shut */
  int64_t tEof; /* when the end reaches fdTo */
  int bWantOut; /* the last write was short: wait for POLLOUT */
} Pipe;

/* A client connection and its connection to the target. */
typedef struct Conn {
  int fdClient, fdServer;
  Pipe up; /* client -> server */
  Pipe down; /* server -> client */
  int bDead; /* an error: close both sides */
} Conn;

/* The proxy's settings, the same for every connection. */
typedef struct Shape {
  double rRate; /* bytes per nanosecond; 0: no limit */
  double rBurst; /* bucket depth, bytes */
  double rWake; /* tokens worth waking up for */
  int64_t nsDelay; /* one-way delay */
  size_t nBuf; /* ring bytes per direction, a power of 2 */
} Shape;

static volatile sig_atomic_t stopFlag = 0;
static const char *zStats = 0; /* -s: where the byte counts go */
static uint64_t nDownEnded = 0, nUpEnded = 0; /* bytes of ended connections */

/* Rewrite the stats file (-s): the bytes of ended connections plus those of
** the live ones, aConn[nConn]. */
static void statsWrite(Conn **aConn, int nConn) {
  if( zStats == 0 ) return;
  uint64_t nDown = nDownEnded, nUp = nUpEnded;
  for( int i = 0; i < nConn; i++ ) {
    if( aConn[i] == 0 ) continue;
    nDown += aConn[i]->down.nIn;
    nUp += aConn[i]->up.nIn;
  }
  char zTmp[4096];
  snprintf(zTmp, sizeof zTmp, "%s.tmp", zStats);
  FILE *f = fopen(zTmp, "w");
  if( f == 0 ) return;
  fprintf(f, "%llu %llu\n", (unsigned long long)nDown, (unsigned long long)nUp);
  if( fclose(f) == 0 ) rename(zTmp, zStats);
}
static void onSignal(int sig) {
  (void)sig;
  stopFlag = 1;
}

static int64_t nowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static int setNonBlocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Bring the bucket of p up to time t. */
static void pipeRefill(Pipe *p, const Shape *s, int64_t t) {
  if( s->rRate <= 0 || t <= p->tRefill ) return;
  p->rTokens += (double)(t - p->tRefill) * s->rRate;
  if( p->rTokens > s->rBurst ) p->rTokens = s->rBurst;
  p->tRefill = t;
}

/* True if p may read now as far as its ring and its segment queue go
** (the bucket aside). */
static int pipeHasRoom(const Pipe *p, const Shape *s) {
  return p->eEof == 0 && p->nIn - p->nOut < s->nBuf && p->iSegTail - p->iSegHead < NSEG;
}

/* True if p's bucket holds enough tokens to be worth a read. */
static int pipeHasTokens(const Pipe *p, const Shape *s) {
  return s->rRate <= 0 || p->rTokens >= s->rWake;
}

/* Read what fdFrom has into p, as far as room and tokens go, at time t.
** Returns 0, or -1 if the connection failed. */
static int pipeRead(Pipe *p, const Shape *s, int64_t t) {
  size_t iPos, nWant;
  ssize_t r;
  pipeRefill(p, s, t);
  if( !pipeHasRoom(p, s) || (s->rRate > 0 && p->rTokens < 1.0) ) return 0;
  iPos = (size_t)(p->nIn & (s->nBuf - 1));
  nWant = s->nBuf - (size_t)(p->nIn - p->nOut); /* free bytes */
  if( nWant > s->nBuf - iPos ) nWant = s->nBuf - iPos; /* contiguous */
  if( s->rRate > 0 ) {
    if( (double)nWant > p->rTokens ) nWant = (size_t)p->rTokens;
  } else if( nWant > MAX_READ ) {
    nWant = MAX_READ;
  }
  r = read(p->fdFrom, p->aBuf + iPos, nWant);
  if( r > 0 ) {
    Seg *pSeg = &p->aSeg[p->iSegTail % NSEG];
    p->nIn += (uint64_t)r;
    if( s->rRate > 0 ) p->rTokens -= (double)r;
    pSeg->iEnd = p->nIn;
    pSeg->tRelease = (t > p->tOpen ? t : p->tOpen) + s->nsDelay;
    p->iSegTail++;
    return 0;
  }
  if( r == 0 ) {
    p->eEof = 1;
    p->tEof = (t > p->tOpen ? t : p->tOpen) + s->nsDelay;
    return 0;
  }
  return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
}

/* Write p's bytes whose time has come, at time t, shut fdTo when the end
** has come, and lower *ptWake to when p next has something to do on a
** timer.  Returns 0, or -1 if the connection failed. */
static int pipeService(Pipe *p, const Shape *s, int64_t t, int64_t *ptWake) {
  pipeRefill(p, s, t);
  if( !p->bWantOut ) {
    uint64_t iUpto = p->nOut;
    unsigned i;
    for( i = p->iSegHead; i != p->iSegTail && p->aSeg[i % NSEG].tRelease <= t; i++ ) {
      iUpto = p->aSeg[i % NSEG].iEnd;
    }
    if( iUpto > p->nOut ) {
      size_t n = (size_t)(iUpto - p->nOut);
      size_t iPos = (size_t)(p->nOut & (s->nBuf - 1));
      struct iovec a[2];
      int nVec = 1;
      ssize_t r;
      a[0].iov_base = p->aBuf + iPos;
      a[0].iov_len = n;
      if( iPos + n > s->nBuf ) {
        a[0].iov_len = s->nBuf - iPos;
        a[1].iov_base = p->aBuf;
        a[1].iov_len = n - a[0].iov_len;
        nVec = 2;
      }
      r = writev(p->fdTo, a, nVec);
      if( r < 0 ) {
        if( errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR ) return -1;
        p->bWantOut = 1;
      } else {
        p->nOut += (uint64_t)r;
        if( (size_t)r < n ) p->bWantOut = 1;
        while( p->iSegHead != p->iSegTail && p->aSeg[p->iSegHead % NSEG].iEnd <= p->nOut ) {
          p->iSegHead++;
        }
      }
    }
  }
  if( p->iSegHead != p->iSegTail ) {
    int64_t tNext = p->aSeg[p->iSegHead % NSEG].tRelease;
    if( !p->bWantOut && tNext > t && tNext < *ptWake ) *ptWake = tNext;
  } else if( p->eEof == 1 && p->nOut == p->nIn ) {
    if( t >= p->tEof ) {
      shutdown(p->fdTo, SHUT_WR);
      p->eEof = 2;
    } else if( p->tEof < *ptWake ) {
      *ptWake = p->tEof;
    }
  }
  if( pipeHasRoom(p, s) && !pipeHasTokens(p, s) ) {
    int64_t tFull = t + (int64_t)((s->rWake - p->rTokens) / s->rRate) + 1;
    if( tFull < *ptWake ) *ptWake = tFull;
  }
  return 0;
}

/* The poll events p asks of its two sockets, added to *pFrom and *pTo. */
static void pipeEvents(Pipe *p, const Shape *s, short *pFrom, short *pTo) {
  if( pipeHasRoom(p, s) && pipeHasTokens(p, s) ) *pFrom |= POLLIN;
  if( p->bWantOut ) *pTo |= POLLOUT;
}

static int pipeInit(Pipe *p, const Shape *s, int fdFrom, int fdTo, int64_t tOpen, int64_t t) {
  memset(p, 0, sizeof *p);
  p->fdFrom = fdFrom;
  p->fdTo = fdTo;
  p->aBuf = malloc(s->nBuf);
  p->aSeg = malloc(sizeof(Seg) * NSEG);
  p->rTokens = s->rBurst;
  p->tRefill = t;
  p->tOpen = tOpen;
  return (p->aBuf && p->aSeg) ? 0 : -1;
}

static void connFree(Conn *c) {
  if( c == 0 ) return;
  nDownEnded += c->down.nIn;
  nUpEnded += c->up.nIn;
  if( c->fdClient >= 0 ) close(c->fdClient);
  if( c->fdServer >= 0 ) close(c->fdServer);
  free(c->up.aBuf);
  free(c->up.aSeg);
  free(c->down.aBuf);
  free(c->down.aSeg);
  free(c);
}

/* A new connection for the accepted socket fd: connects to the target at
** once (loopback).  Returns NULL (fd closed, the reason on stderr) when the
** target refuses or memory runs out. */
static Conn *connNew(int fd, int iTarget, const Shape *s) {
  struct sockaddr_in sa;
  int one = 1;
  int64_t t = nowNs();
  Conn *c = calloc(1, sizeof *c);
  if( c == 0 ) {
    close(fd);
    return 0;
  }
  c->fdClient = fd;
  c->fdServer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)iTarget);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if( c->fdServer < 0 || connect(c->fdServer, (struct sockaddr *)&sa, sizeof sa) < 0 ) {
    fprintf(stderr, "wanproxy: connect to 127.0.0.1:%d: %s\n", iTarget, strerror(errno));
    connFree(c);
    return 0;
  }
  setsockopt(c->fdClient, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(c->fdServer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if( setNonBlocking(c->fdClient) < 0 || setNonBlocking(c->fdServer) < 0 ||
      pipeInit(&c->up, s, c->fdClient, c->fdServer, t + 2 * s->nsDelay, t) < 0 ||
      pipeInit(&c->down, s, c->fdServer, c->fdClient, t + 3 * s->nsDelay, t) < 0 ) {
    fprintf(stderr, "wanproxy: out of memory\n");
    connFree(c);
    return 0;
  }
  return c;
}

/* N from "N", "Nk", "NM", "NG" (powers of 1000), or -1. */
static double parseRate(const char *z) {
  char *zEnd;
  double r = strtod(z, &zEnd);
  if( zEnd == z || r < 0 ) return -1;
  switch( *zEnd ) {
    case 'k':
    case 'K':
      r *= 1e3;
      zEnd++;
      break;
    case 'm':
    case 'M':
      r *= 1e6;
      zEnd++;
      break;
    case 'g':
    case 'G':
      r *= 1e9;
      zEnd++;
      break;
  }
  return *zEnd ? -1 : r;
}

static int parsePort(const char *z, int bZeroOk) {
  char *zEnd;
  long v = strtol(z, &zEnd, 10);
  if( zEnd == z || *zEnd || v < (bZeroOk ? 0 : 1) || v > 65535 ) return -1;
  return (int)v;
}

static void usage(void) {
  fprintf(stderr,
          "usage: wanproxy -l LISTEN_PORT -t TARGET_PORT [-b BITS_PER_SECOND] [-d DELAY_MS]\n"
          "                [-s STATS_FILE]\n"
          "  (both on 127.0.0.1; -l 0 picks a free port; defaults -b 100M -d 10)\n");
  exit(2);
}

int main(int argc, char **argv) {
  int iListen = -1, iTarget = -1, opt, fdListen, one = 1;
  double rBits = 100e6, rDelayMs = 10;
  Shape s;
  struct sockaddr_in sa;
  socklen_t nSa = sizeof sa;
  struct sigaction act;
  sigset_t blocked, waitMask;
  Conn **aConn = 0;
  struct pollfd *aPoll = 0;
  int nConn = 0, nConnAlloc = 0, nAlloc = 0, i;

  while( (opt = getopt(argc, argv, "l:t:b:d:s:")) != -1 ) {
    switch( opt ) {
      case 'l':
        iListen = parsePort(optarg, 1);
        if( iListen < 0 ) usage();
        break;
      case 't':
        iTarget = parsePort(optarg, 0);
        if( iTarget < 0 ) usage();
        break;
      case 'b':
        rBits = parseRate(optarg);
        if( rBits < 0 ) usage();
        break;
      case 'd': {
        char *zEnd;
        rDelayMs = strtod(optarg, &zEnd);
        if( zEnd == optarg || *zEnd || rDelayMs < 0 || rDelayMs > 60000 ) usage();
        break;
      }
      case 's': zStats = optarg; break;
      default: usage();
    }
  }
  if( iListen < 0 || iTarget < 0 || optind != argc ) usage();

  memset(&s, 0, sizeof s);
  s.rRate = rBits / 8 / 1e9;
  s.nsDelay = (int64_t)(rDelayMs * 1e6);
  if( s.rRate > 0 ) {
    size_t nNeed;
    /* 2 ms of the rate, at least 32 KiB: a wake-up late by less than
    ** (BURST - WAKE) / rate loses no tokens */
    s.rBurst = s.rRate * 2e6 > 32768 ? s.rRate * 2e6 : 32768;
    s.rWake = s.rBurst / 4 < 8192 ? s.rBurst / 4 : 8192;
    /* the bytes in flight during one delay, twice, and two bursts */
    nNeed = (size_t)(2 * s.rRate * (double)s.nsDelay + 2 * s.rBurst);
    for( s.nBuf = MIN_RING; s.nBuf < nNeed && s.nBuf < ((size_t)1 << 30); s.nBuf <<= 1 ) {}
  } else {
    s.nBuf = (size_t)4 << 20;
  }

  memset(&act, 0, sizeof act);
  act.sa_handler = onSignal;
  sigaction(SIGTERM, &act, 0);
  sigaction(SIGINT, &act, 0);
  signal(SIGPIPE, SIG_IGN);
  /* the signals are taken only inside ppoll(), so none is lost between
  ** the check of stopFlag and the wait */
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &waitMask);
  sigdelset(&waitMask, SIGTERM);
  sigdelset(&waitMask, SIGINT);

  fdListen = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)iListen);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if( fdListen < 0 || setsockopt(fdListen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fdListen, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fdListen, 128) < 0 ||
      getsockname(fdListen, (struct sockaddr *)&sa, &nSa) < 0 || setNonBlocking(fdListen) < 0 ) {
    fprintf(stderr, "wanproxy: listen on 127.0.0.1:%d: %s\n", iListen, strerror(errno));
    return 1;
  }
  printf("%d\n", ntohs(sa.sin_port));
  fflush(stdout);

  while( !stopFlag ) {
    int64_t t = nowNs(), tWake = INT64_MAX;
    int nPoll = 0;
    struct timespec ts, *pTs = 0;

    /* writes whose time has come, timers, and the poll set */
    if( nAlloc < nConn + 1 ) {
      nAlloc = 2 * (nConn + 1);
      aPoll = realloc(aPoll, sizeof(*aPoll) * (size_t)(1 + 2 * nAlloc));
      if( aPoll == 0 ) {
        fprintf(stderr, "wanproxy: out of memory\n");
        return 1;
      }
    }
    aPoll[nPoll].fd = fdListen;
    aPoll[nPoll].events = POLLIN;
    nPoll++;
    for( i = 0; i < nConn; i++ ) {
      Conn *c = aConn[i];
      short eClient = 0, eServer = 0;
      if( !c->bDead &&
          (pipeService(&c->up, &s, t, &tWake) < 0 || pipeService(&c->down, &s, t, &tWake) < 0) ) {
        c->bDead = 1;
      }
      if( c->bDead || (c->up.eEof == 2 && c->down.eEof == 2) ) {
        connFree(c);
        aConn[i--] = aConn[--nConn];
        statsWrite(aConn, nConn);
        continue;
      }
      pipeEvents(&c->up, &s, &eClient, &eServer);
      pipeEvents(&c->down, &s, &eServer, &eClient);
      /* a socket asked for nothing is left out, or its POLLHUP would
      ** wake the loop while it waits for tokens */
      aPoll[nPoll].fd = eClient ? c->fdClient : -1;
      aPoll[nPoll].events = eClient;
      aPoll[nPoll + 1].fd = eServer ? c->fdServer : -1;
      aPoll[nPoll + 1].events = eServer;
      nPoll += 2;
    }
    if( tWake != INT64_MAX ) {
      int64_t d = tWake > t ? tWake - t : 0;
      ts.tv_sec = d / NS;
      ts.tv_nsec = d % NS;
      pTs = &ts;
    }
    if( ppoll(aPoll, (nfds_t)nPoll, pTs, &waitMask) < 0 ) {
      if( errno == EINTR ) continue;
      fprintf(stderr, "wanproxy: poll: %s\n", strerror(errno));
      break;
    }

    /* reads; POLLOUT lets a waiting direction write again */
    t = nowNs();
    for( i = 0; i < nConn; i++ ) {
      Conn *c = aConn[i];
      short rClient = aPoll[1 + 2 * i].revents, rServer = aPoll[2 + 2 * i].revents;
      if( rClient & POLLOUT ) c->down.bWantOut = 0;
      if( rServer & POLLOUT ) c->up.bWantOut = 0;
      if( (rClient & (POLLIN | POLLHUP | POLLERR)) && pipeRead(&c->up, &s, t) < 0 ) c->bDead = 1;
      if( (rServer & (POLLIN | POLLHUP | POLLERR)) && pipeRead(&c->down, &s, t) < 0 ) c->bDead = 1;
      if( (rClient | rServer) & POLLNVAL ) c->bDead = 1;
    }
    if( aPoll[0].revents & POLLIN ) {
      for( ;; ) {
        int fd = accept4(fdListen, 0, 0, SOCK_CLOEXEC);
        Conn *c;
        if( fd < 0 ) break;
        c = connNew(fd, iTarget, &s);
        if( c == 0 ) continue;
        if( nConn == nConnAlloc ) {
          int nNew = nConnAlloc ? 2 * nConnAlloc : 16;
          Conn **aNew = realloc(aConn, sizeof(*aConn) * (size_t)nNew);
          if( aNew == 0 ) {
            fprintf(stderr, "wanproxy: out of memory\n");
            connFree(c);
            break;
          }
          aConn = aNew;
          nConnAlloc = nNew;
        }
        aConn[nConn++] = c;
        statsWrite(aConn, nConn);
      }
    }
  }

  for( i = 0; i < nConn; i++ ) connFree(aConn[i]);
  free(aConn);
  free(aPoll);
  close(fdListen);
  return 0;
}
