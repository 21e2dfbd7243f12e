#include "multipart.hpp"

#include <stdexcept>

namespace dropgate::http {

namespace {

constexpr std::size_t kMaxHead = 16 * 1024;

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The value of `key=` in a header's parameters, quoted or not.
std::string parameter(std::string_view header, std::string_view key) {
    const std::string wanted = std::string(key) + "=";
    std::string low = lower(header);
    for (std::size_t at = low.find(wanted); at != std::string::npos;
         at = low.find(wanted, at + 1)) {
        if (at > 0 && low[at - 1] != ' ' && low[at - 1] != ';') continue;  // "xfilename="
        std::string_view value = header.substr(at + wanted.size());
        if (!value.empty() && value.front() == '"') {
            auto close = value.find('"', 1);
            return std::string(
                value.substr(1, close == std::string_view::npos ? close : close - 1));
        }
        return std::string(value.substr(0, value.find(';')));
    }
    return {};
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
    if (lower(content_type.substr(0, 19)) != "multipart/form-data") return std::nullopt;
    std::string boundary = parameter(content_type, "boundary");
    if (boundary.empty() || boundary.size() > 70) return std::nullopt;
    return boundary;
}

MultipartReader::MultipartReader(std::string boundary) : delimiter_("\r\n--" + boundary) {
    held_ = "\r\n";  // the first boundary may open the body without a CRLF before it
}

std::vector<MultipartReader::Event> MultipartReader::feed(std::string_view piece) {
    std::vector<Event> events;
    held_.append(piece);
    std::size_t at = 0, from = 0;  // settled up to `at`; look for a delimiter from `from`
    while (state_ != State::done) {
        if (state_ == State::preamble || state_ == State::body) {
            auto found = held_.find(delimiter_, std::max(at, from));
            if (found == std::string::npos) {
                // Keep what could still be the start of a delimiter; the rest is settled.
                std::size_t keep = std::min(held_.size() - at, delimiter_.size() - 1);
                std::size_t settled = held_.size() - keep;
                if (state_ == State::body && settled > at)
                    events.push_back({Event::data, held_.substr(at, settled - at)});
                at = settled;
                from = 0;
                break;
            }
            std::size_t after = found + delimiter_.size();
            if (held_.size() < after + 2) {  // need the two bytes after it to know what it is
                if (state_ == State::body && found > at)
                    events.push_back({Event::data, held_.substr(at, found - at)});
                at = found;
                from = 0;
                break;
            }
            const bool closing = held_.compare(after, 2, "--") == 0;
            if (!closing && held_.compare(after, 2, "\r\n") != 0) {
                from = found + 1;  // the boundary's text followed by other bytes: content
                continue;
            }
            from = 0;
            if (state_ == State::body) {
                if (found > at) events.push_back({Event::data, held_.substr(at, found - at)});
                events.push_back({Event::end, {}});
            }
            if (closing) {
                state_ = State::done;
                at = held_.size();
                break;
            }
            state_ = State::head;
            at = after + 2;  // the CRLF that ends the boundary line
        } else {             // head: up to the blank line
            auto blank = held_.find("\r\n\r\n", at);
            if (blank == std::string::npos) {
                if (held_.size() - at > kMaxHead) throw std::invalid_argument("part head too long");
                break;
            }
            parse_head(held_.substr(at, blank - at), events);
            state_ = State::body;
            at = blank + 4;  // the body starts after the blank line
        }
    }
    held_.erase(0, at);
    if (state_ == State::preamble && held_.size() > kMaxHead)
        throw std::invalid_argument("no multipart boundary where the body starts");
    return events;
}

void MultipartReader::parse_head(const std::string& head, std::vector<Event>& events) {
    std::string filename;
    std::size_t start = 0;
    while (start <= head.size()) {
        auto end = head.find("\r\n", start);
        std::string_view line(head.data() + start,
                              (end == std::string::npos ? head.size() : end) - start);
        if (lower(line.substr(0, 20)) == "content-disposition:")
            filename = parameter(line, "filename");
        if (end == std::string::npos) break;
        start = end + 2;
    }
    // Browsers send the base name; older ones a whole client path: keep its last component.
    auto slash = filename.find_last_of("/\\");
    if (slash != std::string::npos) filename = filename.substr(slash + 1);
    events.push_back({Event::begin, filename});
}

}  // namespace dropgate::http
