// heap/huge_page.cc: names of the backings, as statistics and HPMM_STATS print them.
#include "heap/huge_page.hpp"

namespace hpmm {

const char *name_of(Backing b) {
  switch (b) {
    case Backing::kPlain:
      return "plain";
    case Backing::kThp:
      return "thp";
    case Backing::kHugetlb:
      return "hugetlb";
  }
  return "?";
}

}  // namespace hpmm
