/* SPDX-License-Identifier: MIT */
/*
 * Host files as kmm files: a file of the host opened read-only and served to the page cache by
 * pread on a descriptor kept open for the file's life (the backing store of include/kmm/fs.h's
 * file_create_backed). kmm-sim's exec and scenarios map and read them.
 */
#ifndef SIM_HOSTFILE_H
#define SIM_HOSTFILE_H

struct file;

/*
 * Open the host file @path as a kmm file with f_mode @mode (FMODE_* bits; FMODE_READ, and
 * FMODE_WRITE only where the host would let this process write it, FMODE_EXEC only where it
 * would let it execute it), on the default memory system. Its size is the host file's at open,
 * its name (what /proc/PID/maps shows) the resolved absolute path. NULL with *@err = -errno:
 * the host's open error (-ENOENT, -EACCES, -ELOOP, ...), -EISDIR for a directory, -EACCES for
 * another file that is not regular or lacks the permission @mode asks, -EINVAL for unknown
 * @mode bits, -ENOMEM.
 */
struct file *sim_file_open(const char *path, unsigned int mode, int *err);

#endif /* SIM_HOSTFILE_H */
