fn main() {
    playground_web::start();
}
