/* SPDX-License-Identifier: MIT */
/*
 * Error numbers, with Linux's values so that a kmm system call returns what Linux's would.
 * Functions return 0 or a negative errno.
 */
#ifndef KMM_ERRNO_H
#define KMM_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define EOVERFLOW 75
#define ELIBBAD 80
#define EOPNOTSUPP 95

#endif /* KMM_ERRNO_H */
