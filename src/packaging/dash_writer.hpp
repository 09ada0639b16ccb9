// The DASH MPD (ISO/IEC 23009-1, static, live profile with CMAF segments) for a Presentation.
#pragma once

#include <string>

#include "packaging/presentation.hpp"

namespace st {

// "PT1M2.500S" (xs:duration, as MPD attributes use it).
std::string iso8601_duration(double seconds);

std::string write_dash_mpd(const Presentation& presentation);

}  // namespace st
