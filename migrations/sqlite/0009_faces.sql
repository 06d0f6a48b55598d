-- Faces for pictures: the server's icon and how each member last appeared (their name and
-- avatar as Discord showed them in an interaction), so the leaderboard picture can draw rows of
-- members who are not the one asking. Discord's image hashes, not images: pictures fetch
-- the images from Discord's CDN.
ALTER TABLE guilds ADD COLUMN icon_hash TEXT;
ALTER TABLE members ADD COLUMN display_name TEXT;
ALTER TABLE members ADD COLUMN avatar_hash TEXT;

-- `/card` lists the servers where a member has progress: their membership rows, by member.
CREATE INDEX members_by_user ON members (user_id, guild_id);
