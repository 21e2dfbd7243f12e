// UniqueFd lives with the lowest part (config) so every part can use it.
#pragma once
#include "dropgate/unique_fd.hpp"
