DROP TABLE IF EXISTS published_posts;
