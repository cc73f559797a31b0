// Schedule-exploration hints (hal/search.hpp): hardware explores no schedules.

#include <lockstep/hal/search.hpp>

void lockstep::hal::test_focus(bool) noexcept {}
