//! Fuzz target `api_envelope`: one HTTP answer (status, `Retry-After`, body)
//! through the API client's own decoding; see `check` in
//! `src/api/fuzzing.rs` for the input layout and what is asserted. The
//! library's unit tests replay `fuzz/regressions/api_envelope/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cf_stream_token::api::fuzzing::check(data));
