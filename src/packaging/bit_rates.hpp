// Bit rates measured from segment sizes and durations, as the specs define them.
#pragma once

#include <cstdint>

#include "packaging/presentation.hpp"

namespace st {

// RFC 8216 section 4.3.4.2: the largest bit rate of any contiguous set of
// segments whose total duration is between 0.5 and 1.5 times the target duration.
std::uint64_t peak_segment_bit_rate(const Track& track, double target_duration_seconds);

// All segment bytes over the track's duration.
std::uint64_t average_bit_rate(const Track& track);

// ISO/IEC 23009-1 5.3.5.2: the smallest constant rate B such that, starting at
// any segment (each starts with a SAP) after receiving B * min_buffer bits, every
// following segment has arrived when its playout is due. Whole segments are
// required before their start, which bounds the exact per-sample figure from above.
std::uint64_t dash_bandwidth(const Track& track, double min_buffer_seconds);

// Fills track.bit_rates.
void measure_bit_rates(Track& track, double target_duration_seconds, double min_buffer_seconds);

}  // namespace st
