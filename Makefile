# dcrouter. The build knowledge is in package/targets.mak; see README.md.
-include config.mak
include package/targets.mak

B ?= build
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DESTDIR ?=
SANITIZE ?= no
ifeq ($(SANITIZE),yes)
  B := build-asan
  CC := $(HOST_CC)
  CPPFLAGS := $(HOST_CPPFLAGS)
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -O1
  LDFLAGS := -fsanitize=address,undefined
endif
CC ?= cc
CPPFLAGS ?= -Isrc/include
LDLIBS_SKA ?= -lskarnet

.PHONY: all install clean check check-unit check-prestarted check-asan fuzz-smoke run deps distclean
all: $(addprefix $(B)/bin/,$(BIN_TARGETS) $(OWFAT_TARGETS) $(HOST_TARGETS) $(SCRIPT_TARGETS))

config.mak:
	./configure

LIBDCR_OBJS := $(LIBDCR_SRCS:%.c=$(B)/%.o)
$(B)/libdcr.a: $(LIBDCR_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/%.o: %.c config.mak
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

define PROGRAM
$(B)/bin/$(1): $$($(1)_SRCS:%.c=$(B)/%.o) $(B)/libdcr.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
$(foreach p,$(BIN_TARGETS),$(eval $(call PROGRAM,$(p))))

# Programs on libowfat (DESIGN.md: never with skalibs in one binary): the
# host compiler (Debian's libowfat.a is built for glibc, not musl), their
# own objects, include paths without skalibs', no libdcr.a
OWFAT_CPPFLAGS := $(HOST_CPPFLAGS)
OWFAT_LDFLAGS := $(filter -static -fsanitize=%,$(LDFLAGS))
$(B)/owfat/%.o: %.c config.mak
	@mkdir -p $(dir $@)
	$(HOST_CC) $(OWFAT_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

define OWFAT_PROGRAM
$(B)/bin/$(1): $$($(1)_SRCS:%.c=$(B)/owfat/%.o)
	@mkdir -p $$(dir $$@)
	$$(HOST_CC) $$(OWFAT_LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
$(foreach p,$(OWFAT_TARGETS),$(eval $(call OWFAT_PROGRAM,$(p))))

# Programs on glibc and the system skalibs, whatever CC is: libcrypt's
# yescrypt is glibc-only (musl's crypt has no yescrypt). Their own
# objects (the shared sources they need are listed in their _SRCS).
$(B)/host/%.o: %.c config.mak
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

define HOST_PROGRAM
$(B)/bin/$(1): $$($(1)_SRCS:%.c=$(B)/host/%.o)
	@mkdir -p $$(dir $$@)
	$$(HOST_CC) $$(OWFAT_LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
$(foreach p,$(HOST_TARGETS),$(eval $(call HOST_PROGRAM,$(p))))

$(B)/bin/dcr-setup: $(dcr-setup_SRC)
	@mkdir -p $(dir $@)
	cp $< $@ && chmod 755 $@

define UNIT
$(B)/tests/$(1): tests/unit/$(1).c $$($(1)_EXTRA:%.c=$(B)/%.o) $(B)/libdcr.a tests/unit/tap.h
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) -Itests/unit $$(CFLAGS) $$(LDFLAGS) -o $$@ $$< $$($(1)_EXTRA:%.c=$(B)/%.o) $(B)/libdcr.a $$(LDLIBS_SKA)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT,$(t))))

# libFuzzer targets: built with clang, their own objects, not static;
# NAME_OMIT: shared sources the target replaces with its own
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE $(HOST_CPPFLAGS)
define FUZZ
$(B)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_EXTRA) $(LIBDCR_SRCS)
	@mkdir -p $$(dir $$@)
	clang $$(FUZZ_CFLAGS) -o $$@ $$(filter-out $$($(1)_OMIT),$$^) $$(LDLIBS_SKA) $$(LDLIBS_TLS)
endef
$(foreach f,$(FUZZ_TARGETS),$(eval $(call FUZZ,$(f))))
# ... and those of the libowfat programs: their sources and libowfat only
define OWFAT_FUZZ
$(B)/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_EXTRA)
	@mkdir -p $$(dir $$@)
	clang $$(FUZZ_CFLAGS) -o $$@ $$^ -lowfat
endef
$(foreach f,$(OWFAT_FUZZ_TARGETS),$(eval $(call OWFAT_FUZZ,$(f))))

deps:
	tools/install-deps

check: deps
	@[ -f config.mak ] || ./configure
	$(MAKE) all
	$(MAKE) check-unit
	tools/run-tests $(B)
	$(MAKE) check-prestarted
	$(MAKE) fuzz-smoke

# the SMTP dialogues and AUTH again, each session pre-started (dcr-tcpd -P):
# one process serving session after session must answer as a fresh one
check-prestarted:
	DCR_TEST_PRESTART=4 tools/run-tests $(B) tests/smtp tests/auth

check-unit: $(addprefix $(B)/tests/,$(UNIT_TESTS) $(OWFAT_UNIT_TESTS))
	prove -e "" $^

check-asan:
	$(MAKE) SANITIZE=yes check-unit

fuzz-smoke: $(addprefix $(B)/fuzz/,$(FUZZ_TARGETS) $(OWFAT_FUZZ_TARGETS))
	tools/fuzz-smoke $(B) $(FUZZ_TARGETS) $(OWFAT_FUZZ_TARGETS)

run: deps
	@[ -f config.mak ] || ./configure
	$(MAKE) all
	tools/run-default $(B)

install: all
	mkdir -p $(DESTDIR)$(BINDIR)
	for p in $(BIN_TARGETS) $(OWFAT_TARGETS) $(HOST_TARGETS) $(SCRIPT_TARGETS); do install -m 755 $(B)/bin/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; done

clean:
	rm -rf build build-asan

distclean: clean
	rm -f config.mak

-include $(shell find $(B) -name '*.d' 2>/dev/null)
