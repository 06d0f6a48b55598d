//! Discord ids in the database: snowflakes (unsigned 64-bit) in signed 64-bit columns.

/// Converts a Discord id to the 64-bit integer column type (bit-for-bit; ids above i64::MAX
/// wrap).
pub fn to_db_id(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`to_db_id`].
pub fn from_db_id(id: i64) -> u64 {
    id as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_round_trip_through_integer() {
        for id in [1u64, 123456789012345678, u64::MAX, i64::MAX as u64 + 1] {
            assert_eq!(from_db_id(to_db_id(id)), id);
        }
    }
}
