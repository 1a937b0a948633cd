// pagetable/pagetable.hpp: umbrella header of layer 2 (radix tables keyed by page number).
//   layout.hpp       Layout: levels and index bits; x86-64 4/5-level and the heap's page map
//   node_source.hpp  NodeSource concept (where nodes come from), HeapNodeSource
//   radix_tree.hpp   RadixTree<Traits, Source>: the generic tree (heap page map uses it directly)
//   pte.hpp          Pte: x86-64 page-table entry with a software swapped bit
//   page_table.hpp   PageTable: the simulator's page table (map/unmap/lookup/walk)
#pragma once

#include "pagetable/layout.hpp"
#include "pagetable/node_source.hpp"
#include "pagetable/page_table.hpp"
#include "pagetable/pte.hpp"
#include "pagetable/radix_tree.hpp"
