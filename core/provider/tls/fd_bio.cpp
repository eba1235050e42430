#include "provider/tls/fd_bio.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ssx::tls {

namespace {

FdBioState* state_of(BIO* bio) { return static_cast<FdBioState*>(BIO_get_data(bio)); }

int fd_read(BIO* bio, char* buf, int len) {
    FdBioState* st = state_of(bio);
    BIO_clear_retry_flags(bio);
    if (len <= 0) return 0;
    if (st->hold) {
        BIO_set_retry_read(bio);
        return -1;
    }
    for (;;) {
        ssize_t n = ::recv(st->fd, buf, static_cast<size_t>(len), MSG_DONTWAIT);
        if (n > 0) {
            if (st->first_len < sizeof st->first) {
                size_t take = std::min(sizeof st->first - st->first_len, static_cast<size_t>(n));
                std::memcpy(st->first + st->first_len, buf, take);
                st->first_len += take;
            }
            st->bytes_in += static_cast<size_t>(n);
            return static_cast<int>(n);
        }
        if (n == 0) {
            st->eof = true;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_read(bio);
        } else {
            st->last_errno = errno;
        }
        return -1;
    }
}

int fd_write(BIO* bio, const char* buf, int len) {
    FdBioState* st = state_of(bio);
    BIO_clear_retry_flags(bio);
    if (len <= 0) return 0;
    for (;;) {
        ssize_t n = ::send(st->fd, buf, static_cast<size_t>(len), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_write(bio);
        } else {
            st->last_errno = errno;
        }
        return -1;
    }
}

long fd_ctrl(BIO* bio, int cmd, long, void*) {
    switch (cmd) {
        case BIO_CTRL_FLUSH: return 1;
        case BIO_CTRL_EOF: return state_of(bio)->eof ? 1 : 0;
        default: return 0;
    }
}

int fd_puts(BIO* bio, const char* str) { return fd_write(bio, str, static_cast<int>(std::strlen(str))); }

int fd_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
        BIO_METHOD* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ssx fd");
        if (meth) {
            BIO_meth_set_write(meth, fd_write);
            BIO_meth_set_read(meth, fd_read);
            BIO_meth_set_puts(meth, fd_puts);
            BIO_meth_set_ctrl(meth, fd_ctrl);
            BIO_meth_set_create(meth, fd_create);
        }
        return meth;
    }();
    return m;
}

}  // namespace

BIO* new_fd_bio(FdBioState* state) {
    const BIO_METHOD* m = method();
    if (!m) return nullptr;
    BIO* bio = BIO_new(m);
    if (bio) BIO_set_data(bio, state);
    return bio;
}

}  // namespace ssx::tls
