/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapdoc.h: the passthrough health snapshot document ("format": "iommutrace-snapshot",
 * "version": 1; docs/PASSTHROUGH.md) — typed, validating access to it and the facts derived from
 * it that both `diff` and `doctor` use. Pure: no I/O except snapdoc_load().
 */
#ifndef IOMMUTRACE_SNAPDOC_H
#define IOMMUTRACE_SNAPDOC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define SNAPDOC_FORMAT	"iommutrace-snapshot"
#define SNAPDOC_VERSION 1

/* Three-valued facts: a snapshot records what it could not find out as null. */
enum tri { TRI_UNKNOWN = -1, TRI_NO = 0, TRI_YES = 1 };

/* Checks that doc is a version-1 snapshot whose every field has the documented type; on failure
 * writes "FIELD: what is wrong" into err and returns -1. Accessors below are safe on any document,
 * but only a validated one gives meaningful answers. */
int snapdoc_validate(json_object *doc, char *err, size_t errlen);
/* Parses and validates a snapshot from a buffer (len bytes, need not be NUL-terminated). Returns
 * the document or NULL with the reason in err. */
json_object *snapdoc_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Reads a snapshot file ("-" for stdin) and parses it as above. */
json_object *snapdoc_load(const char *path, char *err, size_t errlen);

/* Typed lookups: NULL / def / TRI_UNKNOWN when absent or of another type. */
const char *sd_str(json_object *o, const char *key);
long long sd_int(json_object *o, const char *key, long long def);
int sd_tri(json_object *o, const char *key);
json_object *sd_obj(json_object *o, const char *key);
json_object *sd_arr(json_object *o, const char *key);
size_t sd_len(json_object *arr);
json_object *sd_at(json_object *arr, size_t i);

/* Whether an array of strings holds s. */
bool sd_has_str(json_object *arr, const char *s);
/* The device object with this PCI address, or NULL. */
json_object *sd_device(json_object *doc, const char *bdf);
/* Normalizes "00:03.0" or "0000:00:03.0" into "0000:00:03.0"; -1 if it is no PCI address. */
int sd_norm_bdf(const char *in, char *out, size_t len);
/* A kernel parameter's value as recorded (repeats joined by ','), NULL if absent. */
const char *sd_param(json_object *doc, const char *key);
/* A kernel build option as recorded ("y", "m", "n"), NULL if unknown. */
const char *sd_kconfig(json_object *doc, const char *key);
/* Whether the comma-separated value list enables ("on") or disables ("off") something: the last
 * on/off word wins, as in the kernel's parser. TRI_UNKNOWN if neither appears. */
int sd_onoff(const char *value);

/* Whose IOMMU this is: "intel" (DMAR table), "amd" (IVRS), else from the CPU vendor, else NULL. */
const char *sd_iommu_vendor(json_object *doc);
/* Whether an IOMMU translates DMA: IOMMU units registered or groups present or the driver's
 * initialisation line seen. */
int sd_iommu_active(json_object *doc);
/* Interrupt remapping: from the kernel log, else from IR- interrupt chips in /proc/interrupts. */
int sd_irq_remap(json_object *doc);
/* Count of devices in the same IOMMU group as bdf (itself included); 0 if it has no group. */
size_t sd_group_size(json_object *doc, const char *bdf);
/* Whether a driver is compatible with assigning its device's group to VFIO (none, vfio-*,
 * pci-stub, pcieport). */
bool sd_driver_vfio_viable(const char *driver);
/* Whether a device is a bridge (PCI class 0x06). */
bool sd_is_bridge(json_object *dev);

#endif
