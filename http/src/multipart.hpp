// A streaming multipart/form-data reader (RFC 7578) for `POST /upload/`: fed the body in pieces
// of any size, it hands back what each piece completes — a file part's start (its filename),
// its bytes, its end — never holding more than a boundary's length of the body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dropgate::http {

// The boundary of a `multipart/form-data; boundary=…` Content-Type, or nullopt.
std::optional<std::string> multipart_boundary(std::string_view content_type);

class MultipartReader {
  public:
    struct Event {
        enum Kind { begin, data, end } kind;
        std::string text;  // begin: the part's filename ("" for a field that is not a file)
                           // data: the bytes
    };
    explicit MultipartReader(std::string boundary);

    // The events the next piece of the body completes, in order. Throws std::invalid_argument
    // on a malformed body (no first boundary, a part head over 16 KiB).
    std::vector<Event> feed(std::string_view piece);
    // True once the closing boundary ("--boundary--") has been read.
    bool finished() const { return state_ == State::done; }

  private:
    enum class State { preamble, head, body, done };
    void parse_head(const std::string& head, std::vector<Event>& events);

    std::string delimiter_;  // "\r\n--" + boundary
    std::string held_;       // bytes not yet judged (a boundary may start in them)
    State state_ = State::preamble;
};

}  // namespace dropgate::http
