// pal/pal.hpp: layer 1, the only code that makes system calls (DESIGN.md, "Layers").
//
//   clock.hpp           now_ns(): CLOCK_MONOTONIC
//   hugepage_info.hpp   what huge pages the machine offers (raw and libhugetlbfs discovery)
//   os_memory.hpp       the malloc's allocation-free, errno-preserving memory calls
//   frame_provider.hpp  the simulator's frame pool: hugetlb, THP or plain, with the reason why
//   proc_text.hpp, fixed_text.hpp, errno_guard.hpp: the allocation-free helpers they share
#pragma once

#include "pal/clock.hpp"
#include "pal/errno_guard.hpp"
#include "pal/fixed_text.hpp"
#include "pal/frame_provider.hpp"
#include "pal/hugepage_info.hpp"
#include "pal/os_memory.hpp"
#include "pal/proc_text.hpp"
